package dev.carousel.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.nn.Probe;
import dev.carousel.nn.ProbeValues;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The per-step sketches of six partitions merged in every order and every tree shape give the same bytes: all
 * 720 orders of a left fold, and all 42 binary tree shapes over six leaves for every 24th of those orders (30
 * orders, 1,260 trees; all 30,240 take ~35 s).
 */
class StepStatsMergeOrderTest {
    private static final int PARTITIONS = 6;
    private static final int STEPS = 4;
    private static final Set<Probe> PROBES = EnumSet.of(Probe.DH, Probe.FORGET, Probe.DWH_STEP);

    /** One partition's statistics: two batches of 40 sequences, log10 norms spread over ~6 decades. */
    private static byte[] partition(int index) {
        StepStats s = new StepStats(STEPS, PROBES);
        Random r = new Random(100 + index);
        int batch = 40;
        for (int rep = 0; rep < 2; rep++) {
            double[] dh = new double[batch * STEPS];
            double[] forget = new double[batch * STEPS];
            double[] dwh = new double[STEPS];
            for (int i = 0; i < dh.length; i++) {
                dh[i] = i % 37 == 0 ? Double.NEGATIVE_INFINITY : -0.7 * (i % STEPS) + 1.5 * r.nextGaussian();
                forget[i] = 1 / (1 + Math.exp(-(2 + r.nextGaussian())));
            }
            for (int t = 0; t < STEPS; t++) {
                dwh[t] = -2 - t + r.nextGaussian();
            }
            s.record(new ProbeValues(batch, STEPS, STEPS - 1, Map.of(Probe.DH, dh, Probe.FORGET, forget, Probe.DWH_STEP, dwh)));
        }
        return s.toByteArray();
    }

    /**
     * Everything of the merged statistics that merge order cannot change: per cell the count, skipped, min, max,
     * the serialized sketch and its p10/p50/p90.
     */
    private static byte[] orderFree(StepStats s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            for (Probe p : s.probes()) {
                for (int t = 0; t < s.steps(); t++) {
                    StepSummary x = s.summary(p, t);
                    out.writeLong(x.count());
                    out.writeLong(x.skipped());
                    for (double v : new double[] {x.min(), x.max(), x.p10(), x.p50(), x.p90()}) {
                        out.writeLong(Double.doubleToRawLongBits(v));
                    }
                    s.cell(p, t).writeSketch(out);
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return bytes.toByteArray();
    }

    /** A binary tree over leaves [from, to) of an order: a leaf index, or two subtrees. */
    private record Tree(int leaf, Tree left, Tree right) {
        StepStats merge(byte[][] leaves, int[] order) {
            if (left == null) {
                return StepStats.fromByteArray(leaves[order[leaf]]);
            }
            return left.merge(leaves, order).merge(right.merge(leaves, order));
        }
    }

    private static List<Tree> shapes(int from, int to) {
        List<Tree> out = new ArrayList<>();
        if (to - from == 1) {
            out.add(new Tree(from, null, null));
            return out;
        }
        for (int split = from + 1; split < to; split++) {
            for (Tree l : shapes(from, split)) {
                for (Tree r : shapes(split, to)) {
                    out.add(new Tree(-1, l, r));
                }
            }
        }
        return out;
    }

    private static void permutations(int[] a, int k, List<int[]> out) {
        if (k == a.length) {
            out.add(a.clone());
            return;
        }
        for (int i = k; i < a.length; i++) {
            int x = a[k];
            a[k] = a[i];
            a[i] = x;
            permutations(a, k + 1, out);
            a[i] = a[k];
            a[k] = x;
        }
    }

    @Test
    void everyMergeOrderAndTreeShapeGivesIdenticalSketchBytes() {
        byte[][] leaves = new byte[PARTITIONS][];
        for (int i = 0; i < PARTITIONS; i++) {
            leaves[i] = partition(i);
        }
        List<int[]> orders = new ArrayList<>();
        permutations(new int[] {0, 1, 2, 3, 4, 5}, 0, orders);
        assertEquals(720, orders.size());
        List<Tree> shapes = shapes(0, PARTITIONS);
        assertEquals(42, shapes.size()); // the Catalan number C5

        StepStats reference = StepStats.fromByteArray(leaves[0]);
        for (int i = 1; i < PARTITIONS; i++) {
            reference.merge(StepStats.fromByteArray(leaves[i]));
        }
        byte[] expected = orderFree(reference);
        assertTrue(reference.summary(Probe.DH, 0).count() > 400);
        assertNotEquals(reference.summary(Probe.DH, 1).p10(), reference.summary(Probe.DH, 1).p90());

        int trees = 0;
        for (int o = 0; o < orders.size(); o++) {
            int[] order = orders.get(o);
            StepStats fold = StepStats.fromByteArray(leaves[order[0]]);
            for (int i = 1; i < PARTITIONS; i++) {
                fold.merge(StepStats.fromByteArray(leaves[order[i]]));
            }
            assertArrayEquals(expected, orderFree(fold), () -> "left fold " + Arrays.toString(order));
            assertMomentsClose(reference, fold);
            if (o % 24 != 0) {
                continue;
            }
            for (Tree shape : shapes) {
                StepStats tree = shape.merge(leaves, order);
                assertArrayEquals(expected, orderFree(tree), () -> "tree " + shape + " over " + Arrays.toString(order));
                trees++;
            }
        }
        assertEquals(30 * 42, trees);
    }

    /** Mean and std add in floating point: equal up to rounding (~1e-15 relative per merge). */
    private static void assertMomentsClose(StepStats a, StepStats b) {
        for (Probe p : a.probes()) {
            for (int t = 0; t < a.steps(); t++) {
                StepSummary x = a.summary(p, t);
                StepSummary y = b.summary(p, t);
                assertEquals(x.mean(), y.mean(), 1e-13 * Math.max(1, Math.abs(x.mean())));
                assertEquals(x.std(), y.std(), 1e-13 * Math.max(1, x.std()));
            }
        }
    }
}
