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
 * @param p10     10th percentile from the KLL sketch (exact below k values, else rank within ±0.0133 at
 *                k = 200, 99% confidence; convention in {@link StepAccumulator}); NaN when count is 0
 * @param p50     median, likewise (the upper median for even counts)
 * @param p90     90th percentile, likewise
 */
public record StepSummary(long count, long skipped, double mean, double std, double min, double max,
        double p10, double p50, double p90) {}
