package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.ConfigLoader;
import dev.carousel.train.Checkpoint;
import dev.carousel.io.Json;
import dev.carousel.store.ResultTables;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real CLI, end to end: train with embedded Spark, read the Parquet back, probe, validate, bad input. */
class CliTest {
    static final String TINY = "seed = 3\ntask { name = adding, length = 12, validation-sequences = 40 }\n"
            + "model.hidden = 8\ntraining { batch-size = 4, updates = 20, eval-every = 10 }\nprobes.every = 10\n";

    static CliRunner.Run cli(String... args) {
        return CliRunner.cli(args);
    }

    /** The closing line names what to raise when Spark's share is large: eval-every with one partition, else K. */
    @Test
    void roundsLineAdvisesByPartitionCount() {
        java.util.List<dev.carousel.train.RoundTiming> two = java.util.List.of(
                new dev.carousel.train.RoundTiming(0, 5, 2, 200_000_000L, 150_000_000L, 290_000_000L, 1, 1),
                new dev.carousel.train.RoundTiming(5, 5, 2, 100_000_000L, 90_000_000L, 170_000_000L, 1, 1));
        assertEquals("rounds: 2 of up to 5 local steps, median 0.20 s, 25.0% of it outside local compute (broadcast, "
                + "scheduling, aggregation; raise distributed.local-steps if this is large)", TrainCommand.roundsLine(two, false));
        java.util.List<dev.carousel.train.RoundTiming> one = java.util.List.of(
                new dev.carousel.train.RoundTiming(0, 100, 1, 400_000_000L, 380_000_000L, 380_000_000L, 1, 1),
                new dev.carousel.train.RoundTiming(100, 60, 1, 300_000_000L, 270_000_000L, 270_000_000L, 1, 1));
        String line = TrainCommand.roundsLine(one, true);
        assertTrue(line.startsWith("jobs: 2 of up to 100 local steps, median 0.40 s, 10.0% of it outside"), line);
        assertTrue(line.endsWith("raise training.eval-every if this is large)"), line);
        // One partition with optimizer-state = reset: every round is a job, so K is the knob.
        assertTrue(TrainCommand.roundsLine(one, false).endsWith("raise distributed.local-steps if this is large)"));
    }

    @Test
    void trainWritesTablesCheckpointAndSummaryAtomically(@TempDir Path dir) throws IOException {
        Path conf = dir.resolve("tiny.conf");
        Files.writeString(conf, TINY);
        Path out = dir.resolve("out");
        CliRunner.Run run = cli("train", conf.toString(), "--out", out.toString(), "--master", "local[2]");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("update      20/20]"), "progress lines expected:\n" + run.out());
        // 20 updates, evaluated every 10, one partition: 2 Spark jobs, with the share outside local compute.
        assertTrue(run.out().matches("(?s).*\njobs: 2 of up to 10 local steps, median \\d+\\.\\d\\d s, \\d+\\.\\d% of it outside local compute"
                        + " \\(.*raise training.eval-every if this is large\\).*"),
                run.out());
        String hash = ConfigLoader.hash(ConfigLoader.load(conf));
        Path result = out.resolve("train-" + hash);
        try (Stream<Path> children = Files.list(out)) {
            assertEquals(java.util.List.of(result), children.toList(), "only the committed run may be left in --out");
        }
        for (String f : new String[] {"summary.md", "run.json", "checkpoint/manifest.json", "checkpoint/parameters.npy",
                "report/index.html"}) {
            assertTrue(Files.isRegularFile(result.resolve(f)), f);
        }
        assertTrue(Files.readString(result.resolve("summary.md")).contains("## Gradient flow by lag"));
        Map<String, Object> provenance = Json.read(result.resolve("run.json"));
        assertEquals(hash, provenance.get("config_hash"));
        assertEquals("completed", provenance.get("status"));

        SparkSession spark = SparkSessions.local("local[1]", "cli-test");
        try {
            Dataset<Row> runs = spark.read().parquet(result.resolve("runs").toString());
            assertEquals(ResultTables.RUNS.fieldNames().length, runs.schema().fields().length);
            assertEquals(java.util.Arrays.asList(ResultTables.RUNS.fieldNames()),
                    java.util.Arrays.asList(runs.schema().fieldNames()));
            assertEquals(1, runs.count());
            Row r = runs.first();
            assertEquals(hash, r.getAs("cell"));
            assertEquals("completed", r.getAs("status"));
            assertEquals(20L, (long) r.getAs("updates"));

            // Delta tables like a sweep's: Spark's Delta reader sees the same rows as a plain Parquet read.
            for (String table : java.util.List.of("runs", "curves", "step_stats")) {
                assertTrue(Files.isDirectory(result.resolve(table).resolve("_delta_log")), table + " has a Delta log");
                assertEquals(spark.read().parquet(result.resolve(table).toString()).count(),
                        spark.read().format("delta").load(result.resolve(table).toString()).count(), table);
            }
            Dataset<Row> curves = spark.read().parquet(result.resolve("curves").toString());
            assertEquals(java.util.Arrays.asList(ResultTables.CURVES.fieldNames()),
                    java.util.Arrays.asList(curves.schema().fieldNames()));
            assertEquals(3, curves.count()); // updates 0, 10, 20

            Dataset<Row> steps = spark.read().parquet(result.resolve("step_stats").toString());
            assertEquals(java.util.Arrays.asList(ResultTables.STEP_STATS.fieldNames()),
                    java.util.Arrays.asList(steps.schema().fieldNames()));
            // rounds 0, 10, 20 × the 4 default LSTM probes × 12 steps
            assertEquals(3L * 4 * 12, steps.count());
            Row last = steps.filter("probe = 'dh' AND round = 0 AND t = 11").first();
            assertEquals(0, (int) last.getAs("lag"));
            assertEquals(4L, (long) last.getAs("count"));
        } finally {
            spark.stop();
        }

        Checkpoint ck = Checkpoint.read(result.resolve("checkpoint"));
        assertEquals(20, ck.update());
        CliRunner.Run probe = cli("probe", "--checkpoint", result.resolve("checkpoint").toString(), "--out",
                dir.resolve("probe").toString());
        assertEquals(0, probe.exit(), probe.err());
        Map<String, Object> manifest = Json.read(dir.resolve("probe/manifest.json"));
        assertTrue(((String) manifest.get("source")).startsWith("checkpoint"));
        assertTrue(Files.isRegularFile(dir.resolve("probe/probe_dh.npy")));
    }

    /**
     * A run that diverges exits 3, so that a scheduler can tell it from a success, and still commits its results:
     * SGD at the largest accepted learning rate (10) overshoots the linear head's quadratic loss until it overflows.
     */
    @Test
    void divergedTrainExitsThreeWithItsResultsCommitted(@TempDir Path dir) throws IOException {
        Path conf = dir.resolve("tiny.conf");
        Files.writeString(conf, TINY);
        Path out = dir.resolve("out");
        CliRunner.Run run = cli("train", conf.toString(), "--set", "optimizer.name=sgd", "--set",
                "optimizer.learning-rate=10", "--out", out.toString(), "--master", "local[1]", "-q");
        assertEquals(Main.DIVERGED, run.exit(), run.out() + run.err());
        assertTrue(run.out().startsWith("diverged after "), run.out());
        String hash = ConfigLoader.hash(ConfigLoader.load(conf, Map.of("optimizer.name", "sgd",
                "optimizer.learning-rate", "10")));
        Map<String, Object> provenance = Json.read(out.resolve("train-" + hash).resolve("run.json"));
        assertEquals("diverged", provenance.get("status"));
    }

    @Test
    void badConfigFailsInOneLineBeforeAnyWork(@TempDir Path dir) throws IOException {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "model {\n  hidden = 0\n}\n");
        Path out = dir.resolve("out");
        CliRunner.Run run = cli("train", conf.toString(), "--out", out.toString());
        assertEquals(Main.BAD_INPUT, run.exit());
        assertEquals(1, run.err().strip().lines().count(), "one line expected, got:\n" + run.err());
        assertTrue(run.err().contains("model.hidden") && run.err().contains("bad.conf:2"), run.err());
        assertFalse(Files.exists(out), "nothing may be written for a bad config");

        CliRunner.Run override = cli("validate", conf.toString(), "--set", "model.hidden=4", "--set", "optimizer.learning-rate=-1");
        assertEquals(Main.BAD_INPUT, override.exit());
        assertTrue(override.err().contains("optimizer.learning-rate"), override.err());

        CliRunner.Run missing = cli("validate", dir.resolve("nope.conf").toString());
        assertEquals(Main.BAD_INPUT, missing.exit());
        assertTrue(missing.err().contains("nope.conf"), missing.err());

        CliRunner.Run noCommand = cli();
        assertEquals(Main.BAD_INPUT, noCommand.exit());
    }

    @Test
    void validatePrintsTheResolvedConfigAndCost(@TempDir Path dir) throws IOException {
        Path conf = dir.resolve("tiny.conf");
        Files.writeString(conf, TINY + "model.forget-gate { mode = chrono }\n");
        CliRunner.Run run = cli("validate", conf.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("tmax=12"), "chrono T_max resolves to task.length:\n" + run.out());
        assertTrue(run.out().contains("is valid") && run.out().contains("GFLOP per update"), run.out());
    }

    /**
     * {@code validate --executors N}: after the config, the projection table for 1, 2, 4, … 256 executors and N,
     * N's row marked; one executor's speedup is 1, and the network line shows the options. Bad options and a sweep
     * spec are refused in one line.
     */
    @Test
    void validateProjectsTheRoundsOnExecutors(@TempDir Path dir) throws IOException {
        Path conf = dir.resolve("tiny.conf");
        Files.writeString(conf, TINY + "distributed.local-steps = 4\n");
        CliRunner.Run run = cli("validate", conf.toString(), "--executors", "48", "--bandwidth", "25", "--latency", "0.5");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("25.0 Gbit/s, 0.500 ms latency"), run.out());
        java.util.List<String[]> rows = run.out().lines().map(String::strip)
                .filter(l -> l.matches("^\\*?\\s*\\d+\\s+[0-9.]+\\s.*")).map(l -> l.replace("*", "").strip().split("\\s+"))
                .toList();
        assertEquals(java.util.List.of("1", "2", "4", "8", "16", "32", "48", "64", "128", "256"),
                rows.stream().map(r -> r[0]).toList(), run.out());
        assertEquals("1.0", rows.get(0)[7], "speedup of one executor:\n" + run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("*") && l.contains(" 48 ")), run.out());
        double r1 = Double.parseDouble(rows.get(0)[1]);
        double r256 = Double.parseDouble(rows.get(9)[1]);
        assertTrue(r256 > r1, "256 executors' round outlasts one's (the driver's serial work): " + r1 + " " + r256);

        CliRunner.Run zero = cli("validate", conf.toString(), "--executors", "0");
        assertEquals(Main.BAD_INPUT, zero.exit());
        assertTrue(zero.err().contains("--executors"), zero.err());
        CliRunner.Run slow = cli("validate", conf.toString(), "--executors", "4", "--bandwidth", "0");
        assertEquals(Main.BAD_INPUT, slow.exit());
        assertTrue(slow.err().contains("--bandwidth"), slow.err());
    }
}
