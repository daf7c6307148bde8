package dev.carousel.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.CliRunner;
import dev.carousel.store.ResultTables;
import dev.carousel.store.Storage;
import dev.carousel.train.CurvePoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Planning (strategy choice), the median stopping rule and {@code --rerun-failed}. */
class SweepRunnerTest {

    static List<Cell> cells(String spec) {
        return SweepSpec.parse(spec, "plan.conf").cells();
    }

    @Test
    void autoTrainsOnePartitionCellsConfigParallelAndWiderCellsDataParallel() {
        List<Cell> small = cells("grid { \"model.cell\" = [lstm, rnn] }\nseeds = [1, 2, 3]\n");
        SweepPlan p = SweepPlan.of(small, Strategy.AUTO, 2);
        assertTrue(p.dataParallel().values().stream().noneMatch(b -> b));
        assertEquals(2, p.width());
        assertTrue(p.reason().startsWith("config-parallel") && p.reason().contains("partitions = 1"), p.reason());

        List<Cell> mixed = cells("grid { \"distributed.partitions\" = [1, 2] }\n");
        SweepPlan q = SweepPlan.of(mixed, Strategy.AUTO, 4);
        Map<Integer, Boolean> byPartitions = mixed.stream().collect(Collectors.toMap(
                c -> c.config().distributed().partitions(), c -> q.dataParallel().get(c.id())));
        assertEquals(Map.of(1, false, 2, true), byPartitions);
        assertEquals(2, q.width(), "4 slots / 2 partitions");
        assertTrue(q.reason().startsWith("data-parallel for 1 cell(s)"), q.reason());

        SweepPlan all = SweepPlan.of(small, Strategy.DATA_PARALLEL, 2);
        assertTrue(all.dataParallel().values().stream().allMatch(b -> b));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SweepPlan.of(mixed, Strategy.CONFIG_PARALLEL, 4));
        assertTrue(e.getMessage().contains("distributed.partitions = 2") && e.getMessage().contains("accepted"),
                e.getMessage());
    }

    @Test
    void theMedianRuleStopsACellWorseThanTheMedianOfCommittedCellsRunningMeans() {
        MedianReference ref = MedianReference.empty()
                .add(curve(0.5, 0.3, 0.1))   // running means at 0, 10, 20: 0.5, 0.4, 0.3
                .add(curve(0.5, 0.4, 0.3))   //                             0.5, 0.45, 0.4
                .add(curve(0.5, 0.2, 0.1));  //                             0.5, 0.35, 0.2667
        assertEquals(0.4, ref.medianRunningMean(10), 1e-12);
        assertEquals(0.3, ref.medianRunningMean(25), 1e-12);
        EarlyStopping rule = new EarlyStopping(true, 10, 3);
        assertNull(ref.decide(rule, 0, 0.9), "within the grace period");
        assertNull(ref.decide(rule, 10, 0.39), "better than the median");
        assertTrue(ref.decide(rule, 10, 0.41).startsWith("median rule at update 10: best validation loss 0.41000 > 0.40000"));
        assertNull(ref.decide(new EarlyStopping(true, 10, 4), 10, 0.9), "too few reference cells");
        assertNull(ref.decide(EarlyStopping.OFF, 20, 0.9));
    }

    static List<CurvePoint> curve(double... losses) {
        return java.util.stream.IntStream.range(0, losses.length)
                .mapToObj(i -> new CurvePoint(10L * i, 80L * i, Double.NaN, losses[i], Double.NaN, Double.NaN)).toList();
    }

    @Test
    void aSweepWithTheMedianRuleStopsAHopelessCellAndRecordsWhy(@TempDir Path dir) throws Exception {
        // Two learning cells first; the third (a learning rate of 1e-7, so its loss stays at the initial one) starts
        // only once one of them is committed (2 slots), and is stopped at the first evaluation after the grace period.
        Path spec = SweepCliTest.write(dir, "m.conf", "name = m\n" + SweepCliTest.BASE
                + "early-stopping { rule = median, grace-updates = 10, min-cells = 1 }\n"
                + "cells = [ { seed = 1 }, { seed = 2 }, { seed = 1, optimizer.learning-rate = 1e-7 } ]\n");
        Path out = dir.resolve("out");
        CliRunner.Run run = SweepCliTest.sweep(spec, out, "--strategy", "config-parallel");
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("early stopping: median rule after 10 updates"), run.out());
        Map<Double, Row> byRate = SweepCliTest.spark().read().parquet(out.resolve("runs").toString()).collectAsList()
                .stream().collect(Collectors.toMap(r -> r.<Double>getAs("learning_rate") * (r.<Long>getAs("seed") == 2 ? -1 : 1),
                        r -> r));
        Row hopeless = byRate.get(1e-7);
        assertEquals("stopped", hopeless.getAs("status"));
        assertEquals(10L, hopeless.<Long>getAs("updates"));
        assertTrue(hopeless.<String>getAs("stopped_by").startsWith("median rule at update 10: best validation loss"),
                hopeless.<String>getAs("stopped_by"));
        assertEquals("completed", byRate.get(0.01).getAs("status"));
        assertEquals("completed", byRate.get(-0.01).getAs("status"));
        assertTrue(run.out().contains("stopped early at update 10"), run.out());
    }

    @Test
    void failedCellsAreSkippedOnResumeAndRunAgainWithRerunFailed(@TempDir Path dir) throws Exception {
        Path spec = SweepCliTest.write(dir, "f.conf", "name = f\n" + SweepCliTest.BASE + "seeds = [1, 2]\n");
        Path out = dir.resolve("out");
        List<Cell> cells = SweepSpec.load(spec).cells();
        // A previous run in which cell 0 failed (an executor lost for good, say): its row as the runner commits it.
        try (SweepStore store = SweepStore.open(Storage.local(out), new Configuration(), "f", 0, ResultTables.RUNS)) {
            Cell failed = cells.get(0);
            CellOutcome outcome = CellOutcome.failed(failed.id(), 1.0, "SparkException: executor lost");
            store.commit(failed.id(), ResultTables.runRow(failed.config(), outcome.status(), 0, -1,
                    null, "mse", 1.0, outcome.error(), null), List.of(), List.of(), List.of());
        }

        CliRunner.Run resume = SweepCliTest.sweep(spec, out);
        assertEquals(1, resume.exit(), "a failed cell makes the exit code 1");
        assertTrue(resume.out().contains("1 committed in") && resume.out().contains("1 to run"), resume.out());
        assertTrue(resume.out().contains("1 completed, 1 failed") && resume.out().contains("--rerun-failed"),
                resume.out());

        CliRunner.Run rerun = SweepCliTest.sweep(spec, out, "--rerun-failed");
        assertEquals(0, rerun.exit(), rerun.out() + rerun.err());
        assertTrue(rerun.out().contains("1 to run (failed cells included)") && rerun.out().contains("2 completed"),
                rerun.out());
        List<Row> runs = SweepCliTest.spark().read().format("delta").load(out.resolve("runs").toString())
                .collectAsList();
        assertEquals(2, runs.size());
        assertTrue(runs.stream().allMatch(r -> "completed".equals(r.getAs("status"))));
    }
}
