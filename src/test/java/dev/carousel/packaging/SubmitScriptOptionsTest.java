package dev.carousel.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What jobs/submit.sh hands spark-submit: a stand-in SPARK_HOME whose bin/spark-submit prints its arguments
 * and the properties file it was given (SubmitScriptsIT runs the real one end to end).
 */
class SubmitScriptOptionsTest {
    static final Path ROOT = Path.of(System.getProperty("basedir", "")).toAbsolutePath();

    /** What the stand-in spark-submit received: its arguments, and the properties file's path and lines. */
    record Call(int exit, String output, List<String> args, String propertiesFile, List<String> properties) {
        /** The value following {@code option}, which must occur exactly once. */
        String value(String option) {
            assertEquals(1, args.stream().filter(option::equals).count(), option + " in " + args);
            return args.get(args.indexOf(option) + 1);
        }
    }

    private static final String FAKE_SPARK_SUBMIT = """
            #!/usr/bin/env bash
            for a in "$@"; do printf 'ARG %s\\n' "$a"; done
            while [ $# -gt 0 ]; do
              if [ "$1" = --properties-file ]; then printf 'FILE %s\\n' "$2"; sed 's/^/PROP /' "$2"; fi
              shift
            done
            """;

    static Call submit(Path dir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path home = dir.resolve("spark-home");
        if (!Files.exists(home.resolve("bin/spark-submit"))) {
            Files.createDirectories(home.resolve("bin"));
            Files.writeString(home.resolve("bin/spark-submit"), FAKE_SPARK_SUBMIT, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(home.resolve("bin/spark-submit"), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("jobs/submit.sh").toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> environment = pb.environment();
        environment.put("SPARK_HOME", home.toString());
        environment.put("CAROUSEL_JAR", "/nowhere/carousel-app.jar");
        environment.put("TMPDIR", Files.createDirectories(dir.resolve("tmp")).toString());
        environment.remove("SPARK_CONF_DIR");
        environment.putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), output);
        List<String> received = new ArrayList<>();
        List<String> properties = new ArrayList<>();
        String file = null;
        for (String line : output.lines().toList()) {
            if (line.startsWith("ARG ")) {
                received.add(line.substring(4));
            } else if (line.startsWith("FILE ")) {
                file = line.substring(5);
            } else if (line.startsWith("PROP ")) {
                properties.add(line.substring(5));
            }
        }
        return new Call(p.exitValue(), output, received, file, properties);
    }

    static Path clusterDefaults(Path dir, String text) throws IOException {
        Path conf = Files.createDirectories(dir.resolve("cluster-conf"));
        Files.writeString(conf.resolve("spark-defaults.conf"), text);
        return conf;
    }

    static List<String> leftInTmp(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("tmp"))) {
            return files.map(f -> f.getFileName().toString()).toList();
        }
    }

    @Test
    void withoutClusterDefaultsTheEnvironmentsPropertiesGoAsTheyAre(@TempDir Path dir) throws Exception {
        Call c = submit(dir, Map.of(), "train", "--env", "standalone", "run.conf", "--out", "o");
        assertEquals(0, c.exit(), c.output());
        assertEquals(ROOT.resolve("conf/standalone.properties").toString(), c.propertiesFile());
        assertEquals(List.of("--class", "dev.carousel.cli.Main", "/nowhere/carousel-app.jar", "train", "run.conf", "--out", "o"),
                c.args().subList(c.args().size() - 7, c.args().size()));
    }

    @Test
    void clusterDefaultsComeFirstThenTheEnvironmentThenTheUsersPropertiesFiles(@TempDir Path dir) throws Exception {
        // A trailing continuation line must not swallow what follows the defaults.
        Path conf = clusterDefaults(dir, "spark.eventLog.enabled true\nspark.driver.memory=1g\nspark.x.continued=a \\");
        Path mine = dir.resolve("mine.properties");
        Files.writeString(mine, "spark.driver.memory=6g\n");
        Call c = submit(dir, Map.of("SPARK_CONF_DIR", conf.toString()), "sweep", "--env", "yarn", "--properties-file", mine.toString(),
                "spec.conf");
        assertEquals(0, c.exit(), c.output());
        assertTrue(c.propertiesFile().startsWith(dir.resolve("tmp").resolve("carousel-spark-properties.").toString()), c.propertiesFile());
        List<String> lines = c.properties();
        int defaults = lines.indexOf("spark.driver.memory=1g");
        int carousel = lines.indexOf("spark.driver.memory=4g");
        int users = lines.indexOf("spark.driver.memory=6g");
        assertTrue(lines.contains("spark.eventLog.enabled true") && defaults >= 0 && defaults < carousel && carousel < users, lines.toString());
        assertEquals("", lines.get(lines.indexOf("spark.x.continued=a \\") + 1), "a blank line ends the continuation");

        java.util.Properties p = new java.util.Properties();
        p.load(new java.io.StringReader(String.join("\n", lines)));
        assertEquals("6g", p.getProperty("spark.driver.memory"));
        assertEquals("true", p.getProperty("spark.eventLog.enabled"));
        assertEquals("yarn", p.getProperty("spark.master"));
        assertEquals("a", p.getProperty("spark.x.continued").trim());
        assertEquals(List.of(), leftInTmp(dir), "the merged file is removed when spark-submit ends");
    }

    @Test
    void sparkSubmitOptionsPassThroughWithTheirValues(@TempDir Path dir) throws Exception {
        Call c = submit(dir, Map.of(), "train", "--env", "yarn", "--deploy-mode", "client", "--queue", "research",
                "--num-executors=3", "--executor-cores", "2", "--principal", "me@REALM", "--keytab", "/k/me.keytab",
                "--verbose", "-c", "spark.a=b", "--conf", "spark.c=d=e", "--name", "forget gate", "run.conf", "--out", "o");
        assertEquals(0, c.exit(), c.output());
        assertEquals("client", c.value("--deploy-mode"));
        assertEquals("research", c.value("--queue"));
        assertEquals("3", c.value("--num-executors"));
        assertEquals("2", c.value("--executor-cores"));
        assertEquals("me@REALM", c.value("--principal"));
        assertEquals("/k/me.keytab", c.value("--keytab"));
        assertEquals("forget gate", c.value("--name"));
        assertTrue(c.args().contains("--verbose"));
        assertEquals(List.of("--conf", "spark.a=b", "--conf", "spark.c=d=e"),
                c.args().stream().filter(a -> a.equals("--conf") || a.startsWith("spark.")).toList());
        // Everything after CONFIG is carousel's, options included.
        assertEquals(List.of("train", "run.conf", "--out", "o"), c.args().subList(c.args().size() - 4, c.args().size()));
    }

    @Test
    void listOptionsAddToTheSettingsAndToEachOtherWhereSparkSubmitKeepsOnlyTheLast(@TempDir Path dir) throws Exception {
        Path conf = clusterDefaults(dir, "spark.files   hdfs:///shared/lookup.csv\nspark.jars=hdfs:///lib/a.jar\n");
        Call c = submit(dir, Map.of("SPARK_CONF_DIR", conf.toString()), "sweep", "--env", "yarn", "--files", "/tmp/a.txt",
                "--files=/tmp/b.txt", "--jars", "/x.jar", "--conf", "spark.jars=/y.jar", "--driver-java-options", "-Dmine=1",
                "spec.conf");
        assertEquals(0, c.exit(), c.output());
        // The defaults' spark.files, then the yarn environment's log4j2.properties, then the user's.
        assertEquals("hdfs:///shared/lookup.csv," + ROOT.resolve("conf/log4j2.properties") + ",/tmp/a.txt,/tmp/b.txt",
                c.value("--files"));
        // A --conf of the key replaces the properties' value, and the option adds to it.
        assertEquals("/y.jar,/x.jar", c.value("--jars"));
        // Joined with a space to conf/yarn.properties' JavaCPP limits instead of replacing them.
        assertEquals("-Dorg.bytedeco.javacpp.maxbytes=2g -Dorg.bytedeco.javacpp.maxphysicalbytes=7g -Dmine=1",
                c.value("--driver-java-options"));

        Call local = submit(dir, Map.of(), "train", "--env", "local", "run.conf");
        assertFalse(local.args().contains("--files"), "only yarn ships log4j2.properties: " + local.args());
    }

    @Test
    void optionsSparkSubmitDoesNotTakeAreRefusedByName(@TempDir Path dir) throws Exception {
        Map<List<String>, String> refused = new HashMap<>();
        refused.put(List.of("--executor-memroy", "4g", "run.conf"), "unknown option --executor-memroy");
        refused.put(List.of("-x", "run.conf"), "unknown option -x");
        refused.put(List.of("--class", "my.Main", "run.conf"), "--class is set by jobs/train.sh");
        refused.put(List.of("--kill", "app-1", "run.conf"), "--kill is not a submission");
        refused.put(List.of("--remote", "sc://h", "run.conf"), "--remote is Spark Connect");
        refused.put(List.of("--verbose=yes", "run.conf"), "--verbose takes no value");
        refused.put(List.of("--conf", "spark.ui.enabled", "run.conf"), "--conf needs KEY=VALUE");
        refused.put(List.of("run.conf", "--queue"), null);
        refused.put(List.of("--queue"), "--queue needs a value");
        refused.put(List.of("--env", "mesos", "run.conf"), "--env must be local, standalone, yarn or k8s");
        for (Map.Entry<List<String>, String> e : refused.entrySet()) {
            List<String> args = new ArrayList<>(List.of("train"));
            args.addAll(e.getKey());
            Call c = submit(dir, Map.of(), args.toArray(String[]::new));
            if (e.getValue() == null) {
                // After CONFIG an option is carousel's: spark-submit runs, and carousel will judge it.
                assertEquals(0, c.exit(), c.output());
                continue;
            }
            assertEquals(2, c.exit(), e.getKey() + ": " + c.output());
            assertTrue(c.output().startsWith("train.sh: " + e.getValue()), e.getKey() + ": " + c.output());
            assertTrue(c.args().isEmpty(), "spark-submit must not run: " + c.output());
        }
    }
}
