package dev.carousel.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.CliRunner;
import dev.carousel.cli.Main;
import dev.carousel.io.Json;
import dev.carousel.store.ResultTables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carousel sweep} end to end through the real CLI on {@code local[2]}: tables, report, resume, extended
 * axes, divergence, strategies.
 */
class SweepCliTest {
    /** Tiny cells, a few seconds each. */
    static final String BASE = "base {\n"
            + "  task { name = adding, length = 10, validation-sequences = 32 }\n"
            + "  model { hidden = 6 }\n"
            + "  optimizer { name = adam, learning-rate = 0.01 }\n"
            + "  training { batch-size = 8, updates = 30, eval-every = 10 }\n"
            + "  probes { enabled = true, every = 15 }\n"
            + "}\n";
    static final String SPEC = "name = tiny\n" + BASE
            + "grid {\n  \"model.cell\" = [lstm, rnn]\n  \"model.forget-gate.mode\" = [learned, chrono]\n"
            + "  \"model.forget-gate.bias\" = [0, 1]\n}\nseeds = [1, 2]\n";

    static CliRunner.Run sweep(Path spec, Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("sweep", spec.toString(), "--out", out.toString(),
                "--master", "local[2]"));
        args.addAll(Arrays.asList(more));
        return CliRunner.cli(args.toArray(String[]::new));
    }

    static Path write(Path dir, String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    /** Every file under {@code dir} (but the report, rewritten on change) with its bytes, for "nothing changed". */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(p).toString(), Arrays.hashCode(Files.readAllBytes(p)) + "@"
                        + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return m;
    }

    /** A session to read results with; the CLI stops the active one when it ends, so get it after each call. */
    static SparkSession spark() {
        return SparkSession.builder().master("local[1]").getOrCreate();
    }

    /** The rows of one table, wall time and timestamps left out (all that differs between equal runs), sorted. */
    static List<String> rows(Path table, StructType schema) {
        Dataset<Row> df = spark().read().format("delta").load(table.toString());
        if (Arrays.asList(schema.fieldNames()).contains("wall_seconds")) {
            df = df.drop("wall_seconds", "started_at", "finished_at");
        }
        return df.collectAsList().stream().map(Row::toString).sorted().toList();
    }

    @Test
    void aSmallSweepWritesOneRunRowPerCellTheTablesAndAFullReportThenResumesAsANoOp(@TempDir Path dir)
            throws IOException {
        Path spec = write(dir, "tiny.conf", SPEC);
        Path out = dir.resolve("out");
        SweepSpec parsed = SweepSpec.load(spec);
        assertEquals(8, parsed.cells().size(), "lstm x (learned 0, learned 1, chrono) + rnn, x 2 seeds");

        CliRunner.Run run = sweep(spec, out);
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("8 cells") && run.out().contains("8 to run"), run.out());
        assertTrue(run.out().contains("strategy auto: config-parallel"), run.out());
        assertTrue(run.out().contains("[cells 8/8 done, 0 running, 0 failed, 0 diverged"), run.out());
        assertTrue(run.out().contains("8 completed"), run.out());

        StructType runsSchema = SweepColumns.schema(parsed);
        for (Map.Entry<String, StructType> t : Map.of("runs", runsSchema, "curves", ResultTables.CURVES,
                "step_stats", ResultTables.STEP_STATS, "summaries", ResultTables.SUMMARIES).entrySet()) {
            Dataset<Row> df = spark().read().format("delta").load(out.resolve(t.getKey()).toString());
            assertEquals(Arrays.asList(t.getValue().fieldNames()), Arrays.asList(df.schema().fieldNames()), t.getKey());
            assertEquals(Arrays.asList(Arrays.stream(t.getValue().fields()).map(f -> f.dataType()).toArray()),
                    Arrays.asList(Arrays.stream(df.schema().fields()).map(f -> f.dataType()).toArray()), t.getKey());
        }
        // Every axis is a typed column, after the common columns, where and when each cell ran, and its summaries.
        assertEquals(List.of("sweep", "started_at", "finished_at", "carousel_version", "git_commit",
                "best_validation_loss", "target_loss", "updates_to_target", "decay_dh_init", "decay_dc_init",
                "memory_dh_init", "memory_dc_init", "mean_forget_init", "decay_dh_end", "decay_dc_end", "memory_dh_end",
                "memory_dc_end", "mean_forget_end",
                "axis_model_cell", "axis_model_forget_gate_mode", "axis_model_forget_gate_bias", "axis_seed"),
                Arrays.asList(runsSchema.fieldNames()).subList(ResultTables.RUNS.size(), runsSchema.size()));
        assertEquals("double", runsSchema.apply("axis_model_forget_gate_bias").dataType().simpleString(),
                "a forget bias resolves to a double");
        assertEquals("string", runsSchema.apply("axis_model_forget_gate_mode").dataType().simpleString());
        assertEquals("timestamp", runsSchema.apply("started_at").dataType().simpleString());
        spark().read().format("delta").load(out.resolve("runs").toString()).createOrReplaceTempView("runs");
        assertEquals(2L, spark().sql("SELECT count(*) FROM runs WHERE axis_model_forget_gate_mode = 'learned' "
                + "AND axis_model_forget_gate_bias = 1 AND axis_model_cell = 'lstm'").first().getLong(0));
        assertEquals(2L, spark().sql("SELECT count(*) FROM runs WHERE axis_model_cell = 'rnn' "
                + "AND axis_model_forget_gate_bias IS NULL AND sweep = 'tiny'").first().getLong(0),
                "the RNN ignores the forget bias, and its two seeds are its only cells");
        assertEquals(0L, spark().sql("SELECT count(*) FROM runs WHERE NOT (started_at <= finished_at) "
                + "OR git_commit IS NULL OR carousel_version IS NULL").first().getLong(0));
        List<Row> runs = spark().read().format("delta").load(out.resolve("runs").toString()).collectAsList();
        assertEquals(8, runs.size());
        assertEquals(parsed.cells().stream().map(Cell::id).collect(Collectors.toSet()),
                runs.stream().map(r -> r.<String>getAs("cell")).collect(Collectors.toSet()));
        for (Row r : runs) {
            assertEquals("completed", r.getAs("status"));
            assertEquals(30L, r.<Long>getAs("updates"));
            assertNotNull(r.getAs("final_validation_loss"));
        }
        // Curves: evaluations at 0, 10, 20, 30 per cell; statistics probed at 0, 15, 30 for every step.
        assertEquals(8 * 4, spark().read().format("delta").load(out.resolve("curves").toString()).count());
        assertEquals(Set.of(0L, 15L, 30L), spark().read().format("delta").load(out.resolve("step_stats").toString())
                .select("round").distinct().collectAsList().stream().map(r -> r.getLong(0)).collect(Collectors.toSet()));

        Map<String, Object> manifest = Json.read(out.resolve("sweep.json"));
        assertEquals("tiny", manifest.get("name"));
        assertEquals(8, ((List<?>) manifest.get("cells")).size());
        assertTrue(((Map<?, ?>) manifest.get("provenance")).containsKey("git_commit"));

        String html = Files.readString(out.resolve("report/index.html"));
        for (String figure : List.of("heatmap-dh-adding-T10.png", "decay-dc-init-adding-T10.png",
                "decay-dc-training-adding-T10.png", "updates-to-target-adding-T10.png", "best-loss-adding-T10.png",
                "loss-adding-T10.png", "profile-dh-adding-T10.png", "profile-dc-adding-T10.png")) {
            Path png = out.resolve("report").resolve(figure);
            assertTrue(Files.size(png) > 2000, figure + " present and non-empty");
            assertTrue(html.contains(figure), figure + " on the page");
        }
        assertTrue(html.contains("sweep tiny"), "every figure names the sweep");

        // The same command again: nothing to run, nothing rewritten.
        Map<String, String> before = snapshot(out);
        CliRunner.Run again = sweep(spec, out);
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("8 committed in") && again.out().contains("0 to run"), again.out());
        assertTrue(again.out().contains("nothing new to run"), again.out());
        assertEquals(before, snapshot(out));

        // A new axis value runs only the new cells.
        Path extended = write(dir, "tiny.conf", SPEC.replace("[0, 1]", "[0, 1, 2]"));
        CliRunner.Run more = sweep(extended, out);
        assertEquals(0, more.exit(), more.err());
        assertTrue(more.out().contains("10 cells") && more.out().contains("8 committed in") && more.out().contains("2 to run"),
                more.out());
        Map<String, String> after = snapshot(out);
        for (Map.Entry<String, String> e : before.entrySet()) {
            if (e.getKey().startsWith("runs") || e.getKey().startsWith("curves") || e.getKey().startsWith("step_stats")) {
                assertEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " of a committed cell must not change");
            }
        }
        assertEquals(10, spark().read().parquet(out.resolve("runs").toString()).count());
    }

    @Test
    void aDivergingCellIsRecordedWithItsUpdateAndTheRestOfTheSweepCompletes(@TempDir Path dir) throws IOException {
        // SGD with momentum at the largest accepted rate blows a tanh-RNN's output layer up within a few updates.
        Path spec = write(dir, "div.conf", "name = div\n" + BASE + "cells = [\n"
                + "  { model.cell = rnn, optimizer { name = sgd, learning-rate = 10, momentum = 0.99 } }\n"
                + "  { model.cell = lstm }\n  { model.cell = rnn }\n]\n");
        Path out = dir.resolve("out");
        CliRunner.Run run = sweep(spec, out);
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("1 diverged") && run.out().contains("2 completed"), run.out());
                Map<String, Row> byOptimizer = spark().read().parquet(out.resolve("runs").toString()).collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getAs("optimizer") + "/" + r.getAs("model_cell"), r -> r));
        Row diverged = byOptimizer.get("sgd/rnn");
        assertEquals("diverged", diverged.getAs("status"));
        long at = diverged.<Long>getAs("diverged_at");
        assertTrue(at >= 1 && at <= 30, "diverged at " + at);
        assertTrue(diverged.<Long>getAs("updates") <= at, "no update after the one that diverged");
        // Its statistics so far are kept: at least the probe at initialisation.
        assertTrue(spark().read().parquet(out.resolve("step_stats").toString())
                .filter("cell = '" + diverged.getAs("cell") + "' AND round = 0").count() > 0);
        assertEquals("completed", byOptimizer.get("adam/lstm").getAs("status"));
        assertEquals("completed", byOptimizer.get("adam/rnn").getAs("status"));
        assertNull(byOptimizer.get("adam/rnn").getAs("diverged_at"));
    }

    @Test
    void configParallelAndDataParallelGiveTheSameTables(@TempDir Path dir) throws IOException {
        Path spec = write(dir, "s.conf", "name = s\n" + BASE + "grid { \"model.cell\" = [lstm, rnn] }\nseeds = [4]\n");
        assertEquals(0, sweep(spec, dir.resolve("cp"), "--strategy", "config-parallel").exit());
        CliRunner.Run dp = sweep(spec, dir.resolve("dp"), "--strategy", "data-parallel");
        assertEquals(0, dp.exit(), dp.err());
        assertTrue(dp.out().contains("strategy data-parallel: every cell by rounds"), dp.out());
                for (Map.Entry<String, StructType> t : Map.of("runs", ResultTables.RUNS, "curves", ResultTables.CURVES,
                "step_stats", ResultTables.STEP_STATS).entrySet()) {
            assertEquals(rows(dir.resolve("cp").resolve(t.getKey()), t.getValue()),
                    rows(dir.resolve("dp").resolve(t.getKey()), t.getValue()), t.getKey());
        }
    }

    @Test
    void aFolderHoldingAnotherSweepOrOtherFilesIsRefusedBeforeAnyWork(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        Json.write(out.resolve("sweep.json"), Map.of("name", "other"));
        Path spec = write(dir, "tiny.conf", SPEC);
        Map<String, String> before = snapshot(out);
        CliRunner.Run run = sweep(spec, out);
        assertEquals(Main.BAD_INPUT, run.exit());
        assertTrue(run.err().contains("holds the results of sweep 'other'") && run.err().contains("sweep 'tiny'"),
                run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertEquals(before, snapshot(out));

        Path foreign = dir.resolve("foreign");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        CliRunner.Run refused = sweep(spec, foreign);
        assertEquals(Main.BAD_INPUT, refused.exit());
        assertTrue(refused.err().contains("is not empty and holds no sweep.json (e.g. notes.txt)"), refused.err());
        assertEquals(List.of("notes.txt"), Files.list(foreign).map(p -> p.getFileName().toString()).toList());

        CliRunner.Run strategy = sweep(spec, dir.resolve("new"), "--strategy", "fastest");
        assertEquals(Main.BAD_INPUT, strategy.exit());
        assertTrue(strategy.err().contains("--strategy fastest: unknown (accepted: auto, config-parallel, data-parallel)"),
                strategy.err());
        assertFalse(Files.exists(dir.resolve("new")));
    }
}
