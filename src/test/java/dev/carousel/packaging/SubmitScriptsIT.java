package dev.carousel.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.ProvenanceTest;
import dev.carousel.config.ConfigLoader;
import dev.carousel.io.Json;
import dev.carousel.spark.LocalSparkHome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jobs/train.sh and jobs/sweep.sh --env local end to end, as on a machine with a Spark installation: spark-submit (the test
 * distribution's, whose jars/ holds Spark's runtime only) runs the shaded application jar with
 * conf/local.properties, so ND4J, its natives and the config library must all come from the jar.
 */
class SubmitScriptsIT {
    static final String TINY = "seed = 5\ntask { name = adding, length = 10, validation-sequences = 40 }\n"
            + "model.hidden = 8\ntraining { batch-size = 4, updates = 10, eval-every = 5 }\nprobes.every = 5\n";

    /** Exit code and combined output of one script run. */
    record Submitted(int exit, String output) {}

    /** Runs {@code jobs/SCRIPT --env local --conf spark.master=local[2] ARGS} as on a machine with Spark installed. */
    static Submitted submit(Path dir, String script, String... args) throws IOException, InterruptedException {
        return submit(dir, Map.of(), script, args);
    }

    /** {@link #submit(Path, String, String...)} with {@code env} added to the script's environment. */
    static Submitted submit(Path dir, Map<String, String> env, String script, String... args)
            throws IOException, InterruptedException {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("--env", "local", "--conf", "spark.master=local[2]"));
        all.addAll(java.util.Arrays.asList(args));
        return run(dir, env, script, all.toArray(String[]::new));
    }

    /**
     * Runs {@code jobs/SCRIPT ARGS} in {@code dir} as on a machine with Spark installed (SPARK_HOME a
     * distribution without conf/spark-defaults.conf), with {@code env} added to its environment; TMPDIR is
     * {@code dir/tmp}.
     */
    static Submitted run(Path dir, Map<String, String> env, String script, String... args)
            throws IOException, InterruptedException {
        return run(dir, env, 5, script, args);
    }

    /** {@link #run(Path, Map, String, String...)} with a time limit of {@code minutes}. */
    static Submitted run(Path dir, Map<String, String> env, int minutes, String script, String... args)
            throws IOException, InterruptedException {
        Path sparkHome = LocalSparkHome.distribution();
        Path root = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        Path log = Files.createTempFile(dir, script, ".log");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(root.resolve("jobs").resolve(script).toString()));
        cmd.addAll(java.util.Arrays.asList(args));
        // From a folder outside the checkout: nothing may depend on the working directory being one.
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> environment = pb.environment();
        environment.put("SPARK_HOME", sparkHome.toString());
        environment.put("SPARK_SCALA_VERSION", LocalSparkHome.SCALA_VERSION);
        environment.put("CAROUSEL_JAR", ApplicationJarIT.applicationJar().toAbsolutePath().toString());
        environment.put("SPARK_PRINT_LAUNCH_COMMAND", "1");
        environment.put("TMPDIR", Files.createDirectories(dir.resolve("tmp")).toString());
        environment.remove("OMP_NUM_THREADS"); // the script's default must provide it
        environment.remove("SPARK_SUBMIT_OPTS");
        environment.remove("SPARK_CONF_DIR");
        environment.putAll(env);
        Process p = pb.start();
        boolean done = p.waitFor(minutes, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(done, script + " did not finish within " + minutes + " minutes:\n" + output);
        return new Submitted(p.exitValue(), output);
    }

    /** The java command line spark-submit ran (SPARK_PRINT_LAUNCH_COMMAND). */
    static String launchCommand(Submitted submitted) {
        return submitted.output().lines().filter(l -> l.startsWith("Spark Command:")).findFirst().orElse("");
    }

    @Test
    void trainsThroughSparkSubmitWithTheLocalProperties(@TempDir Path dir) throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        Path conf = dir.resolve("tiny.conf");
        Files.writeString(conf, TINY);
        Path out = dir.resolve("out");
        // spark-submit options before CONFIG reach spark-submit; --driver-java-options adds to the properties' value.
        Submitted submitted = submit(dir, "train.sh", "--verbose", "--driver-java-options", "-Dcarousel.it.user=1",
                "--driver-cores", "1", conf.toString(), "--out", out.toString());
        String output = submitted.output();
        assertEquals(0, submitted.exit(), output);
        assertTrue(output.contains("Parsed arguments:"), "spark-submit --verbose:\n" + output);

        // The driver JVM got conf/local.properties' memory and JavaCPP limits, the user's option, and train.sh's
        // log config.
        String command = launchCommand(submitted);
        for (String opt : new String[] {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=7g", "-Dcarousel.it.user=1",
                "-Dlog4j2.configurationFile=" + root.resolve("conf/log4j2.properties"), "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--properties-file " + root.resolve("conf/local.properties"), "--class dev.carousel.cli.Main"}) {
            assertTrue(command.contains(opt), opt + " missing from the launch command:\n" + command);
        }
        assertTrue(output.contains("update      10/10]"), output);

        Path result = out.resolve("train-" + ConfigLoader.hash(ConfigLoader.load(conf)));
        try (Stream<Path> children = Files.list(out)) {
            assertEquals(java.util.List.of(result), children.toList());
        }
        assertTrue(Files.isRegularFile(result.resolve("summary.md")));
        assertTrue(Files.readString(result.resolve("summary.md")).contains("## Gradient flow by lag"));
        for (String table : new String[] {"runs", "curves", "step_stats"}) {
            Path t = result.resolve(table);
            assertTrue(Files.isRegularFile(t.resolve("_SUCCESS")), table + "/_SUCCESS");
            try (Stream<Path> files = Files.list(t)) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().matches("part-.*\\.parquet")), table + " has no Parquet file");
            }
        }
        Map<String, Object> run = Json.read(result.resolve("run.json"));
        assertEquals("completed", run.get("status"));
        assertEquals("local[2]", run.get("spark_master"), "spark-submit's master (--conf over the properties file)");
        assertEquals("1", run.get("omp_num_threads"));
        // The commit the jar was built from, though the driver's working directory is no checkout.
        String head = ProvenanceTest.gitHead(root);
        if (head != null) {
            assertEquals(head, run.get("git_commit"));
        }
    }

    @Test
    void sweepsThroughSparkSubmitAndAScheduledRerunIsANoOp(@TempDir Path dir) throws IOException, InterruptedException {
        Path spec = dir.resolve("nightly.conf");
        Files.writeString(spec, "base {\n" + TINY.replace("seed = 5\n", "") + "}\ngrid { \"model.cell\" = [lstm, rnn] }\n");
        Path out = dir.resolve("sweeps").resolve("nightly");
        // The cluster's spark-defaults.conf: spark-submit drops it when given a properties file, so the script
        // merges it under conf/local.properties. A key only the defaults set reaches the driver; a key both
        // set takes conf/local.properties' value (-Xmx4g, not 1g).
        Path clusterConf = Files.createDirectories(dir.resolve("cluster-conf"));
        Files.writeString(clusterConf.resolve("spark-defaults.conf"), "# a cluster's defaults\n"
                + "spark.driver.defaultJavaOptions   -Dcarousel.it.defaults=kept\nspark.driver.memory 1g\n");
        Submitted first = submit(dir, Map.of("SPARK_CONF_DIR", clusterConf.toString()), "sweep.sh", spec.toString(),
                "--out", out.toString());
        assertEquals(0, first.exit(), first.output());
        assertTrue(first.output().contains("2 completed"), first.output());
        // The UI is on under spark-submit (it is off only for jobs/carousel's embedded local run).
        assertTrue(first.output().contains("carousel: Spark UI at http://"), first.output());
        String command = launchCommand(first);
        assertTrue(command.contains("dev.carousel.cli.Main") && command.contains(" sweep "), command);
        assertTrue(command.contains("-Dcarousel.it.defaults=kept") && command.contains("-Xmx4g") && !command.contains("-Xmx1g"),
                command);
        assertTrue(command.contains("--properties-file " + dir.resolve("tmp").resolve("carousel-spark-properties.")), command);
        try (Stream<Path> left = Files.list(dir.resolve("tmp"))) {
            assertEquals(java.util.List.of(), left.toList(), "the merged properties file is removed");
        }
        Map<String, Object> manifest = Json.read(out.resolve("sweep.json"));
        assertEquals("nightly", manifest.get("name"));
        java.nio.file.attribute.FileTime stamp = Files.getLastModifiedTime(out.resolve("sweep.json"));

        Submitted again = submit(dir, "sweep.sh", "--conf", "spark.ui.enabled=false", spec.toString(), "--out", out.toString());
        assertEquals(0, again.exit(), again.output());
        assertTrue(!again.output().contains("Spark UI"), "the user's spark.ui.enabled=false wins:\n" + again.output());
        assertTrue(again.output().contains("2 committed in") && again.output().contains("nothing new to run"),
                again.output());
        assertEquals(stamp, Files.getLastModifiedTime(out.resolve("sweep.json")), "a no-op rewrites nothing");
    }
}
