package dev.carousel.nn;

import java.util.EnumMap;
import java.util.Map;

/**
 * The probes of one backward pass. For a per-sequence probe the values are [B, T] row-major (element
 * (b, t) at {@code b * T + t}); for a per-batch probe ({@link Probe#DWH_STEP}) they are [T]. Values of
 * log10 probes are −∞ where the norm is exactly zero (e.g. h_{−1} = 0 at t = 0, or steps after the last
 * loss step).
 *
 * @param batchSize B
 * @param steps     T
 * @param lastLossStep the step lag is measured from: lag = lastLossStep − t
 */
public record ProbeValues(int batchSize, int steps, int lastLossStep, Map<Probe, double[]> values) {
    public ProbeValues {
        values = new EnumMap<>(values);
        for (Map.Entry<Probe, double[]> e : values.entrySet()) {
            int expected = e.getKey().isPerSequence() ? batchSize * steps : steps;
            if (e.getValue().length != expected) {
                throw new IllegalArgumentException(e.getKey().key() + " has " + e.getValue().length
                        + " values, expected " + expected);
            }
        }
    }

    public boolean has(Probe probe) {
        return values.containsKey(probe);
    }

    /** The values of one probe: [B, T] or [T]; do not modify. */
    public double[] get(Probe probe) {
        double[] v = values.get(probe);
        if (v == null) {
            throw new IllegalArgumentException("probe " + probe.key() + " was not recorded");
        }
        return v;
    }

    /** Per-sequence value at (b, t). */
    public double get(Probe probe, int b, int t) {
        return get(probe)[b * steps + t];
    }
}
