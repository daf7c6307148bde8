package dev.carousel.stats;

import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.kll.KllSketch;
import org.apache.datasketches.memory.Memory;

/**
 * Statistics of one stream of probe values (one probe at one time step): exact {@link Moments} plus a KLL
 * quantile sketch (Karnin, Lang and Liberty 2016; Apache DataSketches {@link KllDoublesSketch}) and a count
 * of skipped values.
 *
 * <p>Fields: {@link #moments()} (count, mean, population variance, min, max) of the finite values;
 * {@link #skipped()} the number of non-finite values (−∞ from log10 of an exactly zero norm, +∞, NaN), which
 * are counted and never fed to the moments or the sketch; the sketch, for {@link #quantile(double)}.
 *
 * <p>Accuracy: moments are exact up to floating-point rounding. Quantiles are exact while the sketch holds
 * fewer than k values; beyond that, with the default k = {@value #DEFAULT_K}, the rank of the returned
 * value is within ±{@link #RANK_ERROR} ≈ 0.0133 (1.33%) of the requested rank with 99% confidence
 * ({@code KllSketch.getNormalizedRankError(200, false)}; the bound for a whole PMF/CDF, {@code true}, is
 * 1.65%). The error does not grow with merging: a sketch merged from shards has the same guarantee.
 *
 * <p>Rank convention: {@code quantile(q)} is the value at 0-based position ⌊q·n⌋ (clamped to n − 1) of the
 * sorted values, i.e. the smallest v with #{x ≤ v} > q·n; no interpolation, so for even n the median is the
 * upper one. {@code quantile(0)} is the minimum and {@code quantile(1)} the maximum.
 *
 * <p>Determinism: KLL compaction flips a random coin. This class seeds it from {@code seed} and the item
 * counts (see {@code KllCoin}), so the same sequence of {@link #add}/{@link #merge} calls gives bit-identical
 * results run to run, as long as {@link #isDeterministic()} is true (it is with datasketches-java 3.3.0).
 *
 * <p>Not thread-safe.
 */
public final class StepAccumulator {
    /** Default KLL accuracy parameter. */
    public static final int DEFAULT_K = 200;

    /** Normalised single-quantile rank error of a sketch with k = {@value #DEFAULT_K}, 99% confidence: ≈ 0.0133. */
    public static final double RANK_ERROR = KllSketch.getNormalizedRankError(DEFAULT_K, false);

    /** Smallest k the KLL sketch accepts (its minimum level width). */
    private static final int MIN_K = 8;

    private final Moments moments;
    private final KllDoublesSketch sketch;
    private final long seed;
    private long skipped;

    /** An empty accumulator with k = {@value #DEFAULT_K} and coin seed 0. */
    public StepAccumulator() {
        this(DEFAULT_K, 0L);
    }

    /**
     * An empty accumulator.
     *
     * @param k    KLL accuracy parameter, 8..65535; larger is more accurate ({@code KllSketch.getNormalizedRankError(k,
     *             false)}: 0.0133 at k = 200)
     * @param seed seeds the compaction coin; different cells should use different seeds so that their
     *             sketch errors are independent
     */
    public StepAccumulator(int k, long seed) {
        this(new Moments(), KllDoublesSketch.newHeapInstance(checkK(k)), seed, 0);
    }

    private static int checkK(int k) {
        if (k < MIN_K || k > KllSketch.MAX_K) {
            throw new IllegalArgumentException("KLL k must be in [" + MIN_K + ", " + KllSketch.MAX_K + "], got " + k);
        }
        return k;
    }

    private StepAccumulator(Moments moments, KllDoublesSketch sketch, long seed, long skipped) {
        this.moments = moments;
        this.sketch = sketch;
        this.seed = seed;
        this.skipped = skipped;
    }

    /**
     * Restores a state from its parts (see {@link StepStats#fromByteArray(byte[])}).
     *
     * @throws IllegalArgumentException if the parts are corrupt or disagree with each other
     */
    static StepAccumulator fromParts(Moments moments, long skipped, byte[] sketchBytes, int k, long seed) {
        if (skipped < 0) {
            throw new IllegalArgumentException("negative skipped count " + skipped);
        }
        KllDoublesSketch s;
        try {
            s = KllDoublesSketch.heapify(Memory.wrap(sketchBytes));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("corrupt KLL sketch: " + e.getMessage(), e);
        }
        // The sketch tracks exact n, min and max, so it must agree with the moments.
        if (s.getK() != k || s.getN() != moments.count()
                || (s.getN() > 0 && (s.getMinValue() != moments.min() || s.getMaxValue() != moments.max()))) {
            throw new IllegalArgumentException("KLL sketch (k " + s.getK() + ", n " + s.getN()
                    + ") disagrees with moments (k " + k + ", " + moments + ")");
        }
        return new StepAccumulator(moments, s, seed, skipped);
    }

    /** True when KLL compaction is seeded, so results are reproducible bit for bit. */
    public static boolean isDeterministic() {
        return KllCoin.DETERMINISTIC;
    }

    /** Adds one value; a non-finite value only increments {@link #skipped()}. */
    public void add(double v) {
        if (!Double.isFinite(v)) {
            skipped++;
            return;
        }
        moments.add(v);
        KllCoin.update(sketch, seed, v);
    }

    /** Adds {@code values[offset + i·stride]} for i in [0, count): a column of a row-major [B, T] array. */
    void addStrided(double[] values, int offset, int stride, int count) {
        double[] finite = new double[count];
        int n = 0;
        for (int i = 0; i < count; i++) {
            double v = values[offset + i * stride];
            if (Double.isFinite(v)) {
                moments.add(v);
                finite[n++] = v;
            } else {
                skipped++;
            }
        }
        KllCoin.update(sketch, seed, finite, n); // one lock for the column
    }

    /**
     * Folds {@code other} into this; {@code other} is not changed. Moments, skipped and count combine exactly;
     * the sketch keeps its stated rank error. This accumulator's seed drives the merge's coin.
     *
     * @return this
     * @throws IllegalArgumentException if the sketches have different k, or {@code other} is this
     */
    public StepAccumulator merge(StepAccumulator other) {
        if (other == this) {
            throw new IllegalArgumentException("cannot merge an accumulator into itself");
        }
        if (other.sketch.getK() != sketch.getK()) {
            throw new IllegalArgumentException("k differs: " + sketch.getK() + " vs " + other.sketch.getK());
        }
        moments.merge(other.moments);
        KllCoin.merge(sketch, seed, other.sketch);
        skipped += other.skipped;
        return this;
    }

    /** An independent copy with the same state and seed. */
    public StepAccumulator copy() {
        return new StepAccumulator(moments.copy(), KllDoublesSketch.heapify(Memory.wrap(sketch.toByteArray())),
                seed, skipped);
    }

    /**
     * The q-quantile of the finite values (rank convention in the class comment); NaN when empty.
     *
     * @throws IllegalArgumentException unless 0 ≤ q ≤ 1
     */
    public double quantile(double q) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile fraction must be in [0, 1], got " + q);
        }
        return sketch.isEmpty() ? Double.NaN : sketch.getQuantile(q);
    }

    /** A copy of the moments of the finite values. */
    public Moments moments() {
        return moments.copy();
    }

    /** Number of finite values added. */
    public long count() {
        return moments.count();
    }

    /** Number of non-finite values added (counted, not otherwise used). */
    public long skipped() {
        return skipped;
    }

    /** KLL accuracy parameter. */
    public int k() {
        return sketch.getK();
    }

    /** Seed of the compaction coin. */
    long seed() {
        return seed;
    }

    /** Normalised single-quantile rank error of this sketch (99% confidence); 0.0133 at k = 200. */
    public double rankError() {
        return sketch.getNormalizedRankError(false);
    }

    /** The sketch in its compact serial form. */
    byte[] sketchBytes() {
        return sketch.toByteArray();
    }

    /** Moments, skipped count and the 10th, 50th and 90th percentiles. */
    public StepSummary summary() {
        return new StepSummary(moments.count(), skipped, moments.mean(), moments.std(), moments.min(),
                moments.max(), quantile(0.1), quantile(0.5), quantile(0.9));
    }
}
