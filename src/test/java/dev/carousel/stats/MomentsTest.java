package dev.carousel.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Ordered from exact cases to random data. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MomentsTest {

    @Test
    @Order(1)
    void emptyIsCountZeroAndNaN() {
        Moments m = new Moments();
        assertEquals(0, m.count());
        assertEquals(0.0, m.m2());
        assertTrue(Double.isNaN(m.mean()));
        assertTrue(Double.isNaN(m.variance()));
        assertTrue(Double.isNaN(m.std()));
        assertTrue(Double.isNaN(m.min()));
        assertTrue(Double.isNaN(m.max()));
    }

    @Test
    @Order(2)
    void oneValue() {
        Moments m = new Moments();
        m.add(-2.5);
        assertEquals(1, m.count());
        assertEquals(-2.5, m.mean());
        assertEquals(0.0, m.variance());
        assertEquals(0.0, m.std());
        assertEquals(-2.5, m.min());
        assertEquals(-2.5, m.max());
    }

    @Test
    @Order(3)
    void tenValuesByHand() {
        // 3 1 4 1 5 9 2 6 5 3: Σx = 39, Σx² = 207, mean 3.9, population variance 207/10 − 3.9² = 5.49.
        Moments m = of(3, 1, 4, 1, 5, 9, 2, 6, 5, 3);
        assertEquals(10, m.count());
        assertEquals(3.9, m.mean(), 1e-15);
        assertEquals(54.9, m.m2(), 1e-13);
        assertEquals(5.49, m.variance(), 1e-14);
        assertEquals(Math.sqrt(5.49), m.std(), 1e-14);
        assertEquals(1.0, m.min());
        assertEquals(9.0, m.max());
    }

    @Test
    @Order(4)
    void nonFiniteRejected() {
        Moments m = new Moments();
        assertThrows(IllegalArgumentException.class, () -> m.add(Double.NEGATIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> m.add(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> m.add(Double.NaN));
        assertEquals(0, m.count());
    }

    @Test
    @Order(5)
    void constantDataStaysExact() {
        Moments a = new Moments();
        Moments b = new Moments();
        for (int i = 0; i < 7; i++) {
            a.add(0.1);
        }
        for (int i = 0; i < 3; i++) {
            b.add(0.1);
        }
        a.merge(b);
        assertEquals(0.1, a.mean());
        assertEquals(0.0, a.variance());
    }

    @Test
    @Order(6)
    void mergeWithEmptyIsIdentity() {
        Moments a = of(3, 1, 4, 1, 5);
        Moments left = new Moments().merge(a);
        Moments right = a.copy().merge(new Moments());
        assertBitEqual(a, left);
        assertBitEqual(a, right);
        assertEquals(0, new Moments().merge(new Moments()).count());
    }

    @Test
    @Order(7)
    void mergeReturnsThisAndLeavesOtherUnchanged() {
        Moments a = of(1, 2);
        Moments b = of(10, 20, 30);
        Moments before = b.copy();
        assertSame(a, a.merge(b));
        assertBitEqual(before, b);
    }

    @Test
    @Order(8)
    void mergeIsBitwiseCommutative() {
        Random r = new Random(7);
        Moments a = random(r, 1000);
        Moments b = random(r, 333);
        assertBitEqual(a.copy().merge(b), b.copy().merge(a));
        Moments c = random(r, 1000); // equal counts take the bit tie-break
        assertBitEqual(a.copy().merge(c), c.copy().merge(a));
    }

    @Test
    @Order(9)
    void chanMergeEqualsSequential() {
        Random r = new Random(42);
        double[] x = new double[100_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = 1e3 + 5 * r.nextGaussian(); // offset mean: where naive Σx² formulas lose digits
        }
        Moments all = new Moments();
        for (double v : x) {
            all.add(v);
        }
        Moments merged = new Moments();
        int from = 0;
        while (from < x.length) {
            int to = Math.min(x.length, from + 1 + r.nextInt(20_000));
            Moments shard = new Moments();
            for (int i = from; i < to; i++) {
                shard.add(x[i]);
            }
            merged.merge(shard);
            from = to;
        }
        assertEquals(all.count(), merged.count());
        assertRel(all.mean(), merged.mean(), 1e-12);
        assertRel(all.m2(), merged.m2(), 1e-12);
        assertEquals(all.min(), merged.min());
        assertEquals(all.max(), merged.max());
        assertRel(25.0, all.variance(), 0.02); // sanity: the data really has σ = 5
    }

    @Test
    @Order(10)
    void mergeIsAssociative() {
        Random r = new Random(11);
        Moments a = random(r, 5_000);
        Moments b = random(r, 17);
        Moments c = random(r, 40_000);
        Moments left = a.copy().merge(b).merge(c);
        Moments right = a.copy().merge(b.copy().merge(c));
        assertEquals(left.count(), right.count());
        assertRel(left.mean(), right.mean(), 1e-12);
        assertRel(left.m2(), right.m2(), 1e-12);
        assertEquals(left.min(), right.min());
        assertEquals(left.max(), right.max());
    }

    static Moments of(double... xs) {
        Moments m = new Moments();
        for (double x : xs) {
            m.add(x);
        }
        return m;
    }

    private static Moments random(Random r, int n) {
        Moments m = new Moments();
        double shift = 10 * r.nextGaussian();
        for (int i = 0; i < n; i++) {
            m.add(shift + r.nextGaussian());
        }
        return m;
    }

    static void assertRel(double expected, double actual, double tol) {
        assertEquals(expected, actual, tol * Math.abs(expected), () -> "relative error " + (actual - expected) / expected);
    }

    private static void assertBitEqual(Moments e, Moments a) {
        assertEquals(e.count(), a.count());
        assertEquals(Double.doubleToRawLongBits(e.mean()), Double.doubleToRawLongBits(a.mean()));
        assertEquals(Double.doubleToRawLongBits(e.m2()), Double.doubleToRawLongBits(a.m2()));
        assertEquals(Double.doubleToRawLongBits(e.min()), Double.doubleToRawLongBits(a.min()));
        assertEquals(Double.doubleToRawLongBits(e.max()), Double.doubleToRawLongBits(a.max()));
    }
}
