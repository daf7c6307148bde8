package dev.carousel.stats;

import static dev.carousel.stats.MomentsTest.assertRel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Ordered from exact cases (min, max, one or two values) to the error bound on 10^6 draws. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StepAccumulatorTest {
    private static final double[] QS = {0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0};

    @Test
    @Order(1)
    void statedBound() {
        assertEquals(0.01, StepAccumulator.RELATIVE_ACCURACY);
        // α/ln 10 to first order; the 64th-root mapping makes the second-order term 64 times smaller.
        assertEquals(0.01 / Math.log(10), StepAccumulator.LOG10_ERROR, 1e-6);
        assertTrue(StepAccumulator.LOG10_ERROR < 0.00435);
    }

    @Test
    @Order(2)
    void empty() {
        StepAccumulator a = new StepAccumulator(true);
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
    void oneValueIsExact() {
        for (boolean log10 : new boolean[] {false, true}) {
            StepAccumulator a = new StepAccumulator(log10);
            a.add(-3.25);
            for (double q : QS) {
                assertEquals(-3.25, a.quantile(q)); // clamped to the exact min = max
            }
            assertEquals(new StepSummary(1, 0, -3.25, 0, -3.25, -3.25, -3.25, -3.25, -3.25), a.summary());
        }
    }

    @Test
    @Order(4)
    void tenValuesFollowTheRankConventionWithinTheBound() {
        // Sorted: 1 1 2 3 3 4 5 5 6 9. quantile(q) ≈ sorted[min(⌊10q⌋, 9)] (0-based): no interpolation.
        double[] values = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        StepAccumulator plain = new StepAccumulator(false);
        StepAccumulator log = new StepAccumulator(true);
        for (double v : values) {
            plain.add(v);
            log.add(v);
        }
        assertEquals(1.0, plain.quantile(0.0));
        assertEquals(9.0, plain.quantile(0.9)); // position 9: the exact max
        assertEquals(9.0, plain.quantile(1.0));
        for (double q : QS) {
            double exact = sorted[Math.min((int) Math.floor(10 * q), 9)];
            // The bound is reached at a bucket's lower edge (1 reads 1.01): allow the last bits' rounding.
            assertEquals(exact, plain.quantile(q), StepAccumulator.RELATIVE_ACCURACY * exact * (1 + 1e-12), "plain q " + q);
            assertEquals(exact, log.quantile(q), StepAccumulator.LOG10_ERROR, "log10 q " + q);
        }
        assertEquals(4.0, plain.quantile(0.5), 0.04 * (1 + 1e-12)); // position 5: the upper median (the mean of 3 and 4 is 3.5)
        StepSummary s = plain.summary();
        assertEquals(10, s.count());
        assertEquals(3.9, s.mean(), 1e-15);
        assertEquals(Math.sqrt(5.49), s.std(), 1e-14);
        assertEquals(1.0, s.min());
        assertEquals(9.0, s.max());
    }

    @Test
    @Order(5)
    void nonFiniteValuesAreSkipped() {
        StepAccumulator a = new StepAccumulator(true);
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

        StepAccumulator b = new StepAccumulator(true);
        b.addStrided(new double[] {Double.NEGATIVE_INFINITY, 9, 2, 9, Double.NaN, 9, 4, 9}, 0, 2, 4);
        assertEquals(new StepSummary(2, 2, 3.0, 1.0, 2.0, 4.0, 2.0, 4.0, 4.0), b.summary());
        a.merge(b);
        assertEquals(4, a.count());
        assertEquals(5, a.skipped());
    }

    @Test
    @Order(6)
    void badArguments() {
        StepAccumulator a = new StepAccumulator(true);
        assertThrows(IllegalArgumentException.class, () -> a.quantile(-0.01));
        assertThrows(IllegalArgumentException.class, () -> a.quantile(1.01));
        assertThrows(IllegalArgumentException.class, () -> a.quantile(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> a.merge(a));
        assertThrows(IllegalArgumentException.class, () -> a.merge(new StepAccumulator(false)));
    }

    @Test
    @Order(7)
    void mergeWithEmptyIsIdentity() {
        StepAccumulator a = filled(new Random(3), 5_000);
        StepAccumulator viaEmpty = new StepAccumulator(true).merge(a);
        StepAccumulator withEmpty = a.copy().merge(new StepAccumulator(true));
        assertEquals(a.summary(), viaEmpty.summary());
        assertEquals(a.summary(), withEmpty.summary());
        assertArrayEquals(sketchBytes(a), sketchBytes(withEmpty));
        assertArrayEquals(sketchBytes(a), sketchBytes(viaEmpty));
    }

    @Test
    @Order(8)
    void addOrderDoesNotChangeTheSketch() {
        double[] values = data(new Random(5), 50_000);
        StepAccumulator forward = new StepAccumulator(true);
        StepAccumulator backward = new StepAccumulator(true);
        for (int i = 0; i < values.length; i++) {
            forward.add(values[i]);
            backward.add(values[values.length - 1 - i]);
        }
        assertArrayEquals(sketchBytes(forward), sketchBytes(backward));
        StepSummary f = forward.summary();
        StepSummary b = backward.summary();
        assertEquals(f.p10(), b.p10());
        assertEquals(f.p50(), b.p50());
        assertEquals(f.p90(), b.p90());
        // 50,000 values spread over ~14 decades: the bins, not the values, take the space.
        int bytes = sketchBytes(forward).length;
        assertTrue(bytes < 8 * 50_000 / 10, "sketch of 50,000 values takes " + bytes + " bytes");
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
        StepAccumulator strided = new StepAccumulator(true);
        StepAccumulator single = new StepAccumulator(true);
        strided.addStrided(grid, 1, cols, rows);
        for (int b = 0; b < rows; b++) {
            single.add(grid[b * cols + 1]);
        }
        assertArrayEquals(sketchBytes(single), sketchBytes(strided));
        assertEquals(single.summary(), strided.summary());
    }

    @Test
    @Order(10)
    void millionLognormalNormsWithinTheStatedBound() {
        // Norms exp(N(−5, 3²)) (so log10 norms spread over ~±4 decades around −2.2), in 6 shards merged in
        // partition order: every quantile within LOG10_ERROR decades of the exact sorted value.
        int n = 1_000_000;
        Random r = new Random(2026);
        double[] log10Norms = new double[n];
        for (int i = 0; i < n; i++) {
            log10Norms[i] = Math.log10(Math.exp(-5 + 3 * r.nextGaussian()));
        }
        StepAccumulator merged = merged(log10Norms, true);
        assertWithin(sorted(log10Norms), merged, x -> StepAccumulator.LOG10_ERROR);

        // Forget activations σ(1 + N(0, 1)) and signed plain values: within 1% of the exact value.
        double[] forget = new double[n];
        double[] signed = new double[n];
        for (int i = 0; i < n; i++) {
            forget[i] = 1 / (1 + Math.exp(-(1 + r.nextGaussian())));
            signed[i] = i % 1000 == 0 ? 0 : 0.3 + r.nextGaussian();
        }
        assertWithin(sorted(forget), merged(forget, false), x -> StepAccumulator.RELATIVE_ACCURACY * Math.abs(x));
        assertWithin(sorted(signed), merged(signed, false), x -> StepAccumulator.RELATIVE_ACCURACY * Math.abs(x));
    }

    @Test
    @Order(11)
    void extremeLog10ValuesStayInRange() {
        // log10 path gains far below double range (10^−5000) are sketched in the norm's 64th root.
        StepAccumulator a = new StepAccumulator(true);
        for (int i = 0; i < 1000; i++) {
            a.add(-5000 + i * 0.01);
        }
        a.add(-30_000); // beyond ±19,000 decades: sketched at the edge, still counted exactly
        assertEquals(-30_000, a.quantile(0));
        assertEquals(-5000 + 499 * 0.01, a.quantile(0.5), StepAccumulator.LOG10_ERROR + 1e-9); // position 500
    }

    @Test
    @Order(12)
    void shardsMatchOneAccumulatorExactlyInTheSketch() {
        double[] all = data(new Random(2024), 8 * 100_000);
        StepAccumulator whole = new StepAccumulator(true);
        for (double v : all) {
            whole.add(v);
        }
        StepAccumulator merged = merged(all, true);
        assertArrayEquals(sketchBytes(whole), sketchBytes(merged));
        Moments w = whole.moments();
        Moments m = merged.moments();
        assertEquals(w.count(), m.count());
        assertRel(w.mean(), m.mean(), 1e-9);
        assertRel(w.variance(), m.variance(), 1e-9);
        assertEquals(w.min(), m.min());
        assertEquals(w.max(), m.max());
        for (double q : QS) {
            assertEquals(whole.quantile(q), merged.quantile(q));
        }
    }

    private interface Bound {
        double at(double exact);
    }

    /** quantile(q) within the bound of the exact value at position min(⌊q·n⌋, n − 1), for p10/p50/p90 and more. */
    private static void assertWithin(double[] sorted, StepAccumulator a, Bound bound) {
        int n = sorted.length;
        assertEquals(n, a.count());
        for (double q : QS) {
            double exact = sorted[(int) Math.min((long) Math.floor(q * n), n - 1)];
            double got = a.quantile(q);
            // 1e-12: the mapping's logarithm and power round in the last bits.
            assertEquals(exact, got, bound.at(exact) * (1 + 1e-12) + 1e-12, "q " + q);
        }
    }

    private static double[] sorted(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s;
    }

    /** Six shards of consecutive values, merged left to right. */
    private static StepAccumulator merged(double[] all, boolean log10) {
        int shards = 6;
        StepAccumulator out = new StepAccumulator(log10);
        for (int s = 0; s < shards; s++) {
            StepAccumulator part = new StepAccumulator(log10);
            for (int i = (int) ((long) all.length * s / shards); i < (long) all.length * (s + 1) / shards; i++) {
                part.add(all[i]);
            }
            out.merge(part);
        }
        return out;
    }

    /** log10-norm-like data: a drifting Gaussian, rounded to 1e-3 so that there are ties. */
    private static double[] data(Random r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Math.rint((-3 + 2 * r.nextGaussian() - 1e-5 * i) * 1000) / 1000;
        }
        return x;
    }

    private static StepAccumulator filled(Random r, int n) {
        StepAccumulator a = new StepAccumulator(true);
        for (int i = 0; i < n; i++) {
            a.add(r.nextGaussian());
        }
        return a;
    }

    /** The sketch's serialized bins. */
    static byte[] sketchBytes(StepAccumulator a) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            a.writeSketch(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
