package dev.carousel.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.CliRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-cell summaries a sweep stores ({@code runs} columns and the {@code summaries} table): exact where the
 * answer is known, and equal to what this test computes on its own from the {@code curves} and {@code step_stats}
 * rows.
 */
class SweepSummariesTest {
    /**
     * With no recurrent weights (rnn-gain = 0) and f_t fixed at φ, ∂ℓ/∂c_{t−1} = φ·∂ℓ/∂c_t exactly on adding (its
     * loss is at the last step only), so the stored decay rate at initialisation is log10 φ per step.
     */
    @Test
    void decayRateOfACarouselWithoutRecurrenceIsLog10Phi(@TempDir Path dir) throws IOException {
        Path spec = SweepCliTest.write(dir, "exact.conf", "name = exact\n"
                + "base {\n"
                + "  task { name = adding, length = 30, validation-sequences = 32 }\n"
                + "  model { hidden = 6, rnn-gain = 0, precision = float64, forget-gate { mode = fixed } }\n"
                + "  optimizer { name = adam, learning-rate = 0.01 }\n"
                + "  training { batch-size = 8, updates = 20, eval-every = 10 }\n"
                + "  probes { enabled = true, every = 10 }\n"
                + "}\n"
                + "grid { \"model.forget-gate.value\" = [0.5, 0.8, 0.95, 1.0] }\n"
                + "seeds = [1]\n");
        Path out = dir.resolve("out");
        CliRunner.Run run = SweepCliTest.sweep(spec, out);
        assertEquals(0, run.exit(), run.out() + run.err());

        List<Row> runs = SweepCliTest.spark().read().format("delta").load(out.resolve("runs").toString()).collectAsList();
        assertEquals(4, runs.size());
        for (Row r : runs) {
            double phi = r.<Double>getAs("axis_model_forget_gate_value");
            assertEquals(Math.log10(phi), r.<Double>getAs("decay_dc_init"), 1e-6, "fixed(" + phi + ")");
            assertEquals(phi, r.<Double>getAs("mean_forget_init"), 1e-12, "f_t = φ at every step");
            Integer memory = r.getAs("memory_dc_init");
            if (phi == 0.5) {
                assertEquals(7, memory, "0.5^7 = 10^-2.1 is the first lag 2 decades down");
            } else if (phi >= 0.95) {
                assertNull(memory, "0.95^29 = 10^-0.65: never 2 decades down within T = 30");
            }
            assertEquals(0.05, r.<Double>getAs("target_loss"), 0, "adding's default target");
        }
        assertSummariesMatchTheRows(out);
    }

    /**
     * Recomputes every summary from the {@code curves} and {@code step_stats} rows of the results in {@code out}, with
     * code of this test's own, and asserts the stored {@code runs} columns and {@code summaries} rows equal it.
     */
    static void assertSummariesMatchTheRows(Path out) {
        var spark = SweepCliTest.spark();
        List<Row> runs = spark.read().format("delta").load(out.resolve("runs").toString()).collectAsList();
        Map<String, List<Row>> curves = byCell(spark.read().format("delta").load(out.resolve("curves").toString())
                .collectAsList());
        Map<String, List<Row>> stats = byCell(spark.read().format("delta").load(out.resolve("step_stats").toString())
                .collectAsList());
        Map<String, List<Row>> summaries = byCell(spark.read().format("delta").load(out.resolve("summaries").toString())
                .collectAsList());
        assertFalse(runs.isEmpty());
        for (Row run : runs) {
            String cell = run.getAs("cell");
            List<Row> curve = new ArrayList<>(curves.getOrDefault(cell, List.of()));
            curve.sort(Comparator.comparingLong(r -> r.<Long>getAs("update")));
            double best = Double.POSITIVE_INFINITY;
            Long reached = null;
            Double target = run.getAs("target_loss");
            for (Row c : curve) {
                Double loss = c.getAs("validation_loss");
                if (loss != null) {
                    best = Math.min(best, loss);
                    if (reached == null && target != null && loss < target) {
                        reached = c.getAs("update");
                    }
                }
            }
            assertEquals(best, run.<Double>getAs("best_validation_loss"), 0, cell);
            assertEquals(reached, run.getAs("updates_to_target"), cell);

            TreeMap<Long, List<Row>> byRound = new TreeMap<>();
            stats.getOrDefault(cell, List.of()).forEach(r -> byRound.computeIfAbsent(r.getAs("round"),
                    k -> new ArrayList<>()).add(r));
            Map<Long, Row> stored = new HashMap<>();
            summaries.getOrDefault(cell, List.of()).forEach(r -> stored.put(r.getAs("round"), r));
            assertEquals(byRound.keySet(), stored.keySet(), cell + ": one summaries row per probe round");
            for (Map.Entry<Long, List<Row>> e : byRound.entrySet()) {
                Row s = stored.get(e.getKey());
                String where = cell + " round " + e.getKey();
                for (String probe : List.of("dh", "dc")) {
                    double[][] p = profile(e.getValue(), probe);
                    assertClose(slope(p), s.getAs("decay_" + probe), where + " decay " + probe);
                    assertEquals(memory(p), s.getAs("memory_" + probe), where + " memory " + probe);
                }
                double forget = e.getValue().stream().filter(r -> r.getAs("probe").equals("forget") && r.getAs("mean") != null)
                        .mapToDouble(r -> r.<Double>getAs("mean")).average().orElse(Double.NaN);
                assertClose(forget, s.getAs("mean_forget"), where + " mean forget");
            }
            if (!byRound.isEmpty()) {
                Row first = stored.get(byRound.firstKey());
                Row last = stored.get(byRound.lastKey());
                for (String col : List.of("decay_dh", "decay_dc", "memory_dh", "memory_dc", "mean_forget")) {
                    assertEquals((Object) first.getAs(col), run.getAs(col + "_init"), cell + " " + col + "_init");
                    assertEquals((Object) last.getAs(col), run.getAs(col + "_end"), cell + " " + col + "_end");
                }
            }
        }
    }

    private static Map<String, List<Row>> byCell(List<Row> rows) {
        Map<String, List<Row>> out = new HashMap<>();
        rows.forEach(r -> out.computeIfAbsent(r.getAs("cell"), k -> new ArrayList<>()).add(r));
        return out;
    }

    /** (lag, p50) of one probe, lags ≥ 0 with a p50, by lag. */
    private static double[][] profile(List<Row> rows, String probe) {
        List<double[]> p = new ArrayList<>();
        for (Row r : rows) {
            if (r.getAs("probe").equals(probe) && r.<Integer>getAs("lag") >= 0 && r.getAs("p50") != null
                    && Double.isFinite(r.<Double>getAs("p50"))) {
                p.add(new double[] {r.<Integer>getAs("lag"), r.<Double>getAs("p50")});
            }
        }
        p.sort(Comparator.comparingDouble(v -> v[0]));
        return p.toArray(double[][]::new);
    }

    /** Theil–Sen: the median of all pairwise slopes. */
    private static double slope(double[][] p) {
        List<Double> slopes = new ArrayList<>();
        for (double[] a : p) {
            for (double[] b : p) {
                if (b[0] > a[0]) {
                    slopes.add((b[1] - a[1]) / (b[0] - a[0]));
                }
            }
        }
        if (slopes.isEmpty()) {
            return Double.NaN;
        }
        slopes.sort(null);
        int n = slopes.size();
        return n % 2 == 1 ? slopes.get(n / 2) : (slopes.get(n / 2 - 1) + slopes.get(n / 2)) / 2;
    }

    /** The first lag whose median is 2 decades below the first lag's; null if none. */
    private static Integer memory(double[][] p) {
        for (double[] v : p) {
            if (p.length > 0 && v[1] <= p[0][1] - 2) {
                return (int) v[0];
            }
        }
        return null;
    }

    private static void assertClose(double expected, Double stored, String what) {
        if (Double.isNaN(expected)) {
            assertNull(stored, what + ": no value");
            return;
        }
        assertNotNull(stored, what);
        assertEquals(expected, stored, 1e-12 * Math.max(1, Math.abs(expected)), what);
        assertTrue(Double.isFinite(stored), what);
    }
}
