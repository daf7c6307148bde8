package dev.carousel.stats;

import static dev.carousel.stats.MomentsTest.assertRel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Ordered from exact cases (fewer than k values) to statistical ones (rank error bounds). */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StepAccumulatorTest {
    private static final double[] QS = {0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0};

    @Test
    @Order(1)
    void statedRankError() {
        assertEquals(0.0133, StepAccumulator.RANK_ERROR, 5e-5);
        assertEquals(StepAccumulator.RANK_ERROR, new StepAccumulator().rankError());
        assertTrue(StepAccumulator.isDeterministic(), "KLL coin could not be seeded");
    }

    @Test
    @Order(2)
    void empty() {
        StepAccumulator a = new StepAccumulator();
        assertEquals(0, a.count());
        assertEquals(0, a.skipped());
        assertTrue(Double.isNaN(a.quantile(0.5)));
        StepSummary s = a.summary();
        assertEquals(0, s.count());
        for (double v : new double[] {s.mean(), s.std(), s.min(), s.max(), s.p10(), s.p50(), s.p90()}) {
            assertTrue(Double.isNaN(v));
        }
    }

    @Test
    @Order(3)
    void oneValue() {
        StepAccumulator a = new StepAccumulator();
        a.add(-3.25);
        for (double q : QS) {
            assertEquals(-3.25, a.quantile(q));
        }
        assertEquals(new StepSummary(1, 0, -3.25, 0, -3.25, -3.25, -3.25, -3.25, -3.25), a.summary());
    }

    @Test
    @Order(4)
    void tenValuesExactQuantiles() {
        // Sorted: 1 1 2 3 3 4 5 5 6 9. quantile(q) = sorted[min(⌊10q⌋, 9)] (0-based): no interpolation.
        StepAccumulator a = new StepAccumulator();
        for (double v : new double[] {3, 1, 4, 1, 5, 9, 2, 6, 5, 3}) {
            a.add(v);
        }
        assertEquals(1.0, a.quantile(0.0));
        assertEquals(1.0, a.quantile(0.05));
        assertEquals(1.0, a.quantile(0.1)); // position 1
        assertEquals(2.0, a.quantile(0.25)); // position 2
        assertEquals(3.0, a.quantile(0.3)); // position 3
        assertEquals(4.0, a.quantile(0.5)); // position 5: the upper median (mean of 3 and 4 would be 3.5)
        assertEquals(5.0, a.quantile(0.75)); // position 7
        assertEquals(9.0, a.quantile(0.9)); // position 9
        assertEquals(9.0, a.quantile(1.0));
        StepSummary s = a.summary();
        assertEquals(10, s.count());
        assertEquals(3.9, s.mean(), 1e-15);
        assertEquals(Math.sqrt(5.49), s.std(), 1e-14);
        assertEquals(1.0, s.min());
        assertEquals(9.0, s.max());
        assertEquals(1.0, s.p10());
        assertEquals(4.0, s.p50());
        assertEquals(9.0, s.p90());
    }

    @Test
    @Order(5)
    void nonFiniteValuesAreSkipped() {
        StepAccumulator a = new StepAccumulator();
        a.add(Double.NEGATIVE_INFINITY);
        a.add(2.0);
        a.add(Double.NaN);
        a.add(Double.POSITIVE_INFINITY);
        a.add(4.0);
        assertEquals(2, a.count());
        assertEquals(3, a.skipped());
        assertEquals(3.0, a.moments().mean());
        assertEquals(2.0, a.quantile(0.0));
        assertEquals(4.0, a.quantile(1.0));

        StepAccumulator b = new StepAccumulator();
        b.addStrided(new double[] {Double.NEGATIVE_INFINITY, 9, 2, 9, Double.NaN, 9, 4, 9}, 0, 2, 4);
        assertEquals(new StepSummary(2, 2, 3.0, 1.0, 2.0, 4.0, 2.0, 4.0, 4.0), b.summary());
        a.merge(b);
        assertEquals(4, a.count());
        assertEquals(5, a.skipped());
    }

    @Test
    @Order(6)
    void badArguments() {
        StepAccumulator a = new StepAccumulator();
        assertThrows(IllegalArgumentException.class, () -> a.quantile(-0.01));
        assertThrows(IllegalArgumentException.class, () -> a.quantile(1.01));
        assertThrows(IllegalArgumentException.class, () -> a.quantile(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> a.merge(a));
        assertThrows(IllegalArgumentException.class, () -> a.merge(new StepAccumulator(100, 0)));
        assertThrows(IllegalArgumentException.class, () -> new StepAccumulator(4, 0));
    }

    @Test
    @Order(7)
    void mergeWithEmptyIsIdentity() {
        StepAccumulator a = filled(new Random(3), 5_000, 1);
        StepAccumulator viaEmpty = new StepAccumulator(StepAccumulator.DEFAULT_K, 1).merge(a);
        StepAccumulator withEmpty = a.copy().merge(new StepAccumulator());
        assertEquals(a.summary(), viaEmpty.summary());
        assertEquals(a.summary(), withEmpty.summary());
        assertArrayEquals(a.sketchBytes(), withEmpty.sketchBytes());
    }

    @Test
    @Order(8)
    void sameCallsGiveBitIdenticalSketches() {
        Supplier<StepAccumulator> build = () -> {
            StepAccumulator a = filled(new Random(5), 50_000, 77);
            return a.merge(filled(new Random(6), 30_000, 78));
        };
        StepAccumulator first = build.get();
        StepAccumulator second = build.get();
        assertTrue(first.sketchBytes().length < 8 * 50_000, "sketch should be compacting");
        assertArrayEquals(first.sketchBytes(), second.sketchBytes());
        assertEquals(first.summary(), second.summary());
    }

    @Test
    @Order(9)
    void stridedAddEqualsOneByOne() {
        Random r = new Random(8);
        int rows = 700;
        int cols = 3;
        double[] grid = new double[rows * cols];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = i % 97 == 0 ? Double.NEGATIVE_INFINITY : r.nextGaussian();
        }
        StepAccumulator strided = new StepAccumulator(StepAccumulator.DEFAULT_K, 9);
        StepAccumulator single = new StepAccumulator(StepAccumulator.DEFAULT_K, 9);
        strided.addStrided(grid, 1, cols, rows);
        for (int b = 0; b < rows; b++) {
            single.add(grid[b * cols + 1]);
        }
        assertArrayEquals(single.sketchBytes(), strided.sketchBytes());
        assertEquals(single.summary(), strided.summary());
    }

    @Test
    @Order(10)
    void eightShardsMatchOneAccumulator() {
        int shards = 8;
        int perShard = 100_000;
        double[] all = data(new Random(2024), shards * perShard);
        StepAccumulator whole = new StepAccumulator(StepAccumulator.DEFAULT_K, 100);
        for (double v : all) {
            whole.add(v);
        }
        StepAccumulator[] parts = shards(all, shards);
        StepAccumulator merged = parts[0].copy();
        for (int i = 1; i < shards; i++) {
            merged.merge(parts[i]);
        }
        Moments w = whole.moments();
        Moments m = merged.moments();
        assertEquals(w.count(), m.count());
        assertEquals(all.length, m.count());
        assertRel(w.mean(), m.mean(), 1e-9);
        assertRel(w.variance(), m.variance(), 1e-9);
        assertEquals(w.min(), m.min());
        assertEquals(w.max(), m.max());

        double[] sorted = all.clone();
        Arrays.sort(sorted);
        assertQuantilesWithinRankError(sorted, whole);
        assertQuantilesWithinRankError(sorted, merged);
    }

    @Test
    @Order(11)
    void mergeOrderChangesQuantilesOnlyWithinRankError() {
        double[] all = data(new Random(99), 8 * 40_000);
        double[] sorted = all.clone();
        Arrays.sort(sorted);
        StepAccumulator[] p = shards(all, 8);

        StepAccumulator forward = p[0].copy();
        for (int i = 1; i < 8; i++) {
            forward.merge(p[i]);
        }
        StepAccumulator backward = p[7].copy();
        for (int i = 6; i >= 0; i--) {
            backward.merge(p[i]);
        }
        StepAccumulator tree = p[0].copy().merge(p[1]).merge(p[2].copy().merge(p[3]))
                .merge(p[4].copy().merge(p[5]).merge(p[6].copy().merge(p[7])));
        for (StepAccumulator a : new StepAccumulator[] {forward, backward, tree}) {
            assertEquals(all.length, a.count());
            assertQuantilesWithinRankError(sorted, a);
        }
        assertEquals(forward.moments().min(), tree.moments().min());
        assertRel(forward.moments().mean(), backward.moments().mean(), 1e-12);
        assertRel(forward.moments().variance(), tree.moments().variance(), 1e-12);
    }

    /**
     * For each q, the returned x must have a true rank interval [#{&lt; x}, #{≤ x}] / n that comes within the
     * stated rank error of q (an interval, because of ties).
     */
    private static void assertQuantilesWithinRankError(double[] sorted, StepAccumulator a) {
        double eps = a.rankError();
        int n = sorted.length;
        for (double q : new double[] {0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999}) {
            double x = a.quantile(q);
            double lo = (double) countBelow(sorted, x, false) / n;
            double hi = (double) countBelow(sorted, x, true) / n;
            assertTrue(q >= lo - eps && q <= hi + eps,
                    () -> "q " + q + " returned " + x + " of true rank [" + lo + ", " + hi + "], error bound " + eps);
        }
        assertEquals(sorted[0], a.quantile(0.0));
        assertEquals(sorted[n - 1], a.quantile(1.0));
    }

    /** #{v &lt; x}, or #{v ≤ x} when inclusive. */
    private static int countBelow(double[] sorted, double x, boolean inclusive) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < x || (inclusive && sorted[mid] == x)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** log10-norm-like data: a drifting Gaussian, rounded to 1e-3 so that there are ties. */
    private static double[] data(Random r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Math.rint((-3 + 2 * r.nextGaussian() - 1e-5 * i) * 1000) / 1000;
        }
        return x;
    }

    private static StepAccumulator[] shards(double[] all, int count) {
        StepAccumulator[] parts = new StepAccumulator[count];
        int per = all.length / count;
        for (int s = 0; s < count; s++) {
            parts[s] = new StepAccumulator(StepAccumulator.DEFAULT_K, 200 + s);
            for (int i = s * per; i < (s + 1) * per; i++) {
                parts[s].add(all[i]);
            }
        }
        return parts;
    }

    private static StepAccumulator filled(Random r, int n, long seed) {
        StepAccumulator a = new StepAccumulator(StepAccumulator.DEFAULT_K, seed);
        for (int i = 0; i < n; i++) {
            a.add(r.nextGaussian());
        }
        return a;
    }
}
