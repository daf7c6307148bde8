package dev.carousel.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        Path sparkHome = LocalSparkHome.distribution();
        Path root = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        Path log = Files.createTempFile(dir, script, ".log");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(root.resolve("jobs").resolve(script).toString(),
                "--env", "local", "--conf", "spark.master=local[2]"));
        cmd.addAll(java.util.Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", LocalSparkHome.SCALA_VERSION);
        env.put("CAROUSEL_JAR", ApplicationJarIT.applicationJar().toAbsolutePath().toString());
        env.put("SPARK_PRINT_LAUNCH_COMMAND", "1");
        env.remove("OMP_NUM_THREADS"); // the script's default must provide it
        env.remove("SPARK_SUBMIT_OPTS");
        Process p = pb.start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(done, script + " did not finish within 5 minutes:\n" + output);
        return new Submitted(p.exitValue(), output);
    }

    @Test
    void trainsThroughSparkSubmitWithTheLocalProperties(@TempDir Path dir) throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        Path conf = dir.resolve("tiny.conf");
        Files.writeString(conf, TINY);
        Path out = dir.resolve("out");
        Submitted submitted = submit(dir, "train.sh", conf.toString(), "--out", out.toString());
        String output = submitted.output();
        assertEquals(0, submitted.exit(), output);

        // The driver JVM got conf/local.properties' memory and JavaCPP limits, and train.sh's log config.
        String command = output.lines().filter(l -> l.startsWith("Spark Command:")).findFirst().orElse("");
        for (String opt : new String[] {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=7g",
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
    }

    @Test
    void sweepsThroughSparkSubmitAndAScheduledRerunIsANoOp(@TempDir Path dir) throws IOException, InterruptedException {
        Path spec = dir.resolve("nightly.conf");
        Files.writeString(spec, "base {\n" + TINY.replace("seed = 5\n", "") + "}\ngrid { \"model.cell\" = [lstm, rnn] }\n");
        Path out = dir.resolve("sweeps").resolve("nightly");
        Submitted first = submit(dir, "sweep.sh", spec.toString(), "--out", out.toString());
        assertEquals(0, first.exit(), first.output());
        assertTrue(first.output().contains("2 completed"), first.output());
        String command = first.output().lines().filter(l -> l.startsWith("Spark Command:")).findFirst().orElse("");
        assertTrue(command.contains("dev.carousel.cli.Main") && command.contains(" sweep "), command);
        Map<String, Object> manifest = Json.read(out.resolve("sweep.json"));
        assertEquals("nightly", manifest.get("name"));
        java.nio.file.attribute.FileTime stamp = Files.getLastModifiedTime(out.resolve("sweep.json"));

        Submitted again = submit(dir, "sweep.sh", spec.toString(), "--out", out.toString());
        assertEquals(0, again.exit(), again.output());
        assertTrue(again.output().contains("2 committed in") && again.output().contains("nothing new to run"),
                again.output());
        assertEquals(stamp, Files.getLastModifiedTime(out.resolve("sweep.json")), "a no-op rewrites nothing");
    }
}
