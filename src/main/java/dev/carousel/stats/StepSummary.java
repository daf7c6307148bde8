package dev.carousel.stats;

/**
 * Immutable summary of one (probe, time step) cell of {@link StepStats}. For log10 probes every field but
 * the counts is in log10 units.
 *
 * @param count   number of finite values
 * @param skipped number of non-finite values (−∞ log10 of a zero norm, NaN), excluded from everything else
 * @param mean    mean of the finite values; NaN when count is 0
 * @param std     population standard deviation (divisor count); NaN when count is 0
 * @param min     exact minimum; NaN when count is 0
 * @param max     exact maximum; NaN when count is 0
 * @param p10     10th percentile: exact up to 256 values, else from the DDSketch (within ±0.0044 decades for
 *                log10 probes, 1% relative for plain ones; convention in {@link StepAccumulator}); NaN when count is 0
 * @param p50     median, likewise (the upper median for even counts)
 * @param p90     90th percentile, likewise
 */
public record StepSummary(long count, long skipped, double mean, double std, double min, double max,
        double p10, double p50, double p90) {}
