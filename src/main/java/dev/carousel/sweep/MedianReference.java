package dev.carousel.sweep;

import dev.carousel.train.CurvePoint;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The validation curves of committed cells that a running cell is compared with under {@link EarlyStopping}'s
 * median rule: a snapshot taken when the cell starts, shipped with it to the executor.
 */
public final class MedianReference implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Per reference cell, its evaluations' updates (ascending) and validation losses. */
    private final List<long[]> updates = new ArrayList<>();
    private final List<double[]> losses = new ArrayList<>();

    /** No reference cells: the rule never fires. */
    public static MedianReference empty() {
        return new MedianReference();
    }

    /** Adds one committed cell's curve (points with a non-finite validation loss are left out). */
    public MedianReference add(List<CurvePoint> curve) {
        List<CurvePoint> finite = curve.stream().filter(p -> Double.isFinite(p.validationLoss())).toList();
        if (!finite.isEmpty()) {
            updates.add(finite.stream().mapToLong(CurvePoint::update).toArray());
            losses.add(finite.stream().mapToDouble(CurvePoint::validationLoss).toArray());
        }
        return this;
    }

    /** How many reference cells there are. */
    public int size() {
        return updates.size();
    }

    /**
     * The median over reference cells of each one's mean validation loss over its evaluations at updates ≤
     * {@code update} (cells with none are left out); NaN if no cell has one.
     */
    public double medianRunningMean(long update) {
        double[] means = new double[updates.size()];
        int n = 0;
        for (int c = 0; c < updates.size(); c++) {
            long[] u = updates.get(c);
            double[] l = losses.get(c);
            double sum = 0;
            int k = 0;
            while (k < u.length && u[k] <= update) {
                sum += l[k++];
            }
            if (k > 0) {
                means[n++] = sum / k;
            }
        }
        if (n == 0) {
            return Double.NaN;
        }
        double[] m = Arrays.copyOf(means, n);
        Arrays.sort(m);
        return n % 2 == 1 ? m[n / 2] : 0.5 * (m[n / 2 - 1] + m[n / 2]);
    }

    /**
     * The rule's decision at one evaluation: the reason to stop, or null to go on.
     *
     * @param best the cell's best validation loss so far
     */
    public String decide(EarlyStopping rule, long update, double best) {
        if (!rule.enabled() || update < rule.graceUpdates() || size() < rule.minCells()) {
            return null;
        }
        double median = medianRunningMean(update);
        if (Double.isNaN(median) || !(best > median)) {
            return null;
        }
        return String.format(Locale.ROOT, "median rule at update %d: best validation loss %.5g > %.5g, the median of "
                + "%d committed cells' running means", update, best, median, size());
    }
}
