package dev.carousel.stats;

import dev.carousel.nn.Probe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * One-number summaries of a trained cell, computed once when it finishes and stored beside its rows, so that a sweep
 * of thousands of cells can be sorted and plotted by them without reading its curves and step statistics again.
 *
 * <p>Of a probe round (the per-step statistics taken at one update), for ∂ℓ/∂h and ∂ℓ/∂c:
 * <ul>
 *   <li><b>decay rate</b>: the Theil–Sen slope of the median log10 norm (p50 over the batch) against lag, in decades
 *       per step of lag: the median of the slopes between every two lags. A geometric profile g·φ^lag gives exactly
 *       log10 φ; negative means the gradient vanishes going back in time, positive that it grows. Theil–Sen rather
 *       than least squares because a profile often bends (a plateau near the loss step, a floor far from it) and
 *       a few such lags should not set the rate;</li>
 *   <li><b>memory length</b>: the first lag at which the median has fallen {@value #MEMORY_DECADES} decades below
 *       its value at lag 0 (the gradient is 1% of what the loss injects there); null when it never falls that far
 *       within the sequence;</li>
 *   <li><b>mean forget activation</b>: the mean over steps of the per-step mean of f_t (LSTM only).</li>
 * </ul>
 * Of the curve: the best validation loss, and the first evaluated update whose validation loss is below the target
 * (null: never within the budget).
 */
public final class Summaries {
    /** How many decades below lag 0 the median must fall to end the memory length. */
    public static final double MEMORY_DECADES = 2.0;

    private Summaries() {}

    /**
     * The summary of one probe round; a field is NaN (a length −1) where the round has no such probe or too few lags.
     *
     * @param update       the update at which the round was probed
     * @param decayDh      slope of median log10 ‖∂ℓ/∂h‖ per step of lag
     * @param decayDc      slope of median log10 ‖∂ℓ/∂c‖ per step of lag (NaN for a tanh-RNN)
     * @param memoryDh     lag at which median log10 ‖∂ℓ/∂h‖ is {@value #MEMORY_DECADES} decades below lag 0, or −1
     * @param memoryDc     the same for ‖∂ℓ/∂c‖, or −1
     * @param meanForget   mean over steps of the mean forget activation (NaN for a tanh-RNN)
     */
    public record Round(long update, double decayDh, double decayDc, int memoryDh, int memoryDc, double meanForget) {}

    /** The summary of each probe round, in update order. */
    public static List<Round> rounds(SortedMap<Long, StepStats> byUpdate) {
        List<Round> out = new ArrayList<>();
        for (Map.Entry<Long, StepStats> e : byUpdate.entrySet()) {
            out.add(round(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** The summary of the round {@code s} probed at {@code update}. */
    public static Round round(long update, StepStats s) {
        double[][] dh = profile(s, Probe.DH);
        double[][] dc = profile(s, Probe.DC);
        double forget = Double.NaN;
        if (s.probes().contains(Probe.FORGET)) {
            double sum = 0;
            int n = 0;
            for (int t = 0; t < s.steps(); t++) {
                double m = s.summary(Probe.FORGET, t).mean();
                if (!Double.isNaN(m)) {
                    sum += m;
                    n++;
                }
            }
            forget = n == 0 ? Double.NaN : sum / n;
        }
        return new Round(update, decayRate(dh[0], dh[1]), decayRate(dc[0], dc[1]), memoryLength(dh[0], dh[1]),
                memoryLength(dc[0], dc[1]), forget);
    }

    /** Lags ≥ 0 (ascending) and the median log10 norm at each, of probe {@code p}; empty if the round lacks it. */
    static double[][] profile(StepStats s, Probe p) {
        if (!s.probes().contains(p)) {
            return new double[][] {{}, {}};
        }
        int last = s.lastLossStep().orElse(s.steps() - 1);
        List<double[]> points = new ArrayList<>();
        for (int t = last; t >= 0; t--) {
            double v = s.summary(p, t).p50();
            if (Double.isFinite(v)) {
                points.add(new double[] {last - t, v});
            }
        }
        return new double[][] {points.stream().mapToDouble(x -> x[0]).toArray(),
            points.stream().mapToDouble(x -> x[1]).toArray()};
    }

    /**
     * The Theil–Sen slope of {@code y} against {@code x}: the median of (y_j − y_i)/(x_j − x_i) over pairs with
     * x_i ≠ x_j; NaN with fewer than two distinct x.
     */
    public static double decayRate(double[] x, double[] y) {
        int n = x.length;
        double[] slopes = new double[n * (n - 1) / 2];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (x[j] != x[i]) {
                    slopes[k++] = (y[j] - y[i]) / (x[j] - x[i]);
                }
            }
        }
        if (k == 0) {
            return Double.NaN;
        }
        double[] v = Arrays.copyOf(slopes, k);
        Arrays.sort(v);
        return k % 2 == 1 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
    }

    /**
     * The first lag in {@code lags} (ascending) whose value is at least {@link #MEMORY_DECADES} below the value at
     * the first lag, or −1 if none is.
     */
    public static int memoryLength(double[] lags, double[] log10) {
        if (lags.length == 0) {
            return -1;
        }
        for (int i = 1; i < lags.length; i++) {
            if (log10[i] <= log10[0] - MEMORY_DECADES) {
                return (int) lags[i];
            }
        }
        return -1;
    }

    /** The smallest of {@code losses} that is not NaN, or NaN if there is none. */
    public static double bestLoss(double[] losses) {
        return Arrays.stream(losses).filter(v -> !Double.isNaN(v)).min().orElse(Double.NaN);
    }

    /**
     * The first of {@code updates} (evaluations in update order) whose loss is below {@code target}, or −1 if none
     * is.
     */
    public static long updatesToTarget(long[] updates, double[] losses, double target) {
        for (int i = 0; i < updates.length; i++) {
            if (losses[i] < target) {
                return updates[i];
            }
        }
        return -1;
    }
}
