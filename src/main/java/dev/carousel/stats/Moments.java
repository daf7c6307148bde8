package dev.carousel.stats;

/**
 * Count, mean, M2, min and max of a stream of finite doubles, mergeable across shards.
 *
 * <p>Fields: {@code count} values seen; {@code mean} their arithmetic mean; {@code m2} the sum of squared
 * deviations from the mean, Σ(x − mean)², from which {@link #variance()} = m2 / count; {@code min} and
 * {@code max} the extremes. {@link #add} is Welford's update and {@link #merge} the pairwise formula of
 * Chan, Golub and LeVeque (1979); both avoid the cancellation of the textbook Σx² − n·mean² form, so the
 * relative error of mean and variance stays near machine precision (~1e-15 per operation; the tests hold
 * merged shards to 1e-12 of sequential accumulation).
 *
 * <p>Empty: count 0, m2 0, and mean, variance, std, min and max all NaN, so that an empty cell shows up as
 * missing in a table rather than as a plausible zero.
 *
 * <p>{@link #merge} is bitwise commutative (operands are put in a canonical order first) and associative up
 * to rounding. Not thread-safe.
 */
public final class Moments {
    private long count;
    private double mean = Double.NaN;
    private double m2;
    private double min = Double.NaN;
    private double max = Double.NaN;

    /** An empty accumulator. */
    public Moments() {}

    /**
     * Restores a state written by {@link StepStats#toByteArray()}.
     *
     * @throws IllegalArgumentException if the fields cannot come from any stream of finite values
     */
    static Moments of(long count, double mean, double m2, double min, double max) {
        if (count < 0) {
            throw new IllegalArgumentException("negative count " + count);
        }
        if (count == 0) {
            if (!Double.isNaN(mean) || m2 != 0 || !Double.isNaN(min) || !Double.isNaN(max)) {
                throw new IllegalArgumentException("empty moments with non-empty fields");
            }
        } else if (!Double.isFinite(mean) || !Double.isFinite(min) || !Double.isFinite(max)
                || !(m2 >= 0) || m2 == Double.POSITIVE_INFINITY || !(min <= max)) {
            throw new IllegalArgumentException("inconsistent moments: count " + count + ", mean " + mean
                    + ", m2 " + m2 + ", min " + min + ", max " + max);
        }
        Moments m = new Moments();
        m.count = count;
        m.mean = mean;
        m.m2 = m2;
        m.min = min;
        m.max = max;
        return m;
    }

    /**
     * Adds one value (Welford).
     *
     * @throws IllegalArgumentException if {@code x} is NaN or infinite; {@link StepAccumulator} counts
     *     those as skipped instead
     */
    public void add(double x) {
        if (!Double.isFinite(x)) {
            throw new IllegalArgumentException("non-finite value " + x);
        }
        if (count == 0) {
            count = 1;
            mean = x;
            m2 = 0;
            min = x;
            max = x;
            return;
        }
        count++;
        double d = x - mean;
        mean += d / count;
        m2 += d * (x - mean);
        min = Math.min(min, x);
        max = Math.max(max, x);
    }

    /**
     * Folds {@code other} into this (Chan, Golub and LeVeque 1979): with δ = mean_b − mean_a and n = n_a + n_b,
     * mean = mean_a + δ·n_b/n and M2 = M2_a + M2_b + δ²·n_a·n_b/n. {@code other} is not changed.
     *
     * @return this
     */
    public Moments merge(Moments other) {
        if (other.count == 0) {
            return this;
        }
        if (count == 0) {
            set(other);
            return this;
        }
        // Canonical order (larger count first, ties broken by bits) makes a.merge(b) and b.merge(a) bit-identical;
        // the δ form keeps the mean exact when both sides share it, which a weighted sum would not.
        Moments a = this;
        Moments b = other;
        if (precedes(other, this)) {
            a = other;
            b = this;
        }
        long n = a.count + b.count;
        double delta = b.mean - a.mean;
        double newMean = a.mean + delta * ((double) b.count / n);
        double newM2 = a.m2 + b.m2 + delta * delta * ((double) a.count * (double) b.count / n);
        count = n;
        mean = newMean;
        m2 = newM2;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
        return this;
    }

    private static boolean precedes(Moments x, Moments y) {
        if (x.count != y.count) {
            return x.count > y.count;
        }
        long xm = Double.doubleToLongBits(x.mean);
        long ym = Double.doubleToLongBits(y.mean);
        if (xm != ym) {
            return xm < ym;
        }
        return Double.doubleToLongBits(x.m2) < Double.doubleToLongBits(y.m2);
    }

    private void set(Moments o) {
        count = o.count;
        mean = o.mean;
        m2 = o.m2;
        min = o.min;
        max = o.max;
    }

    /** An independent copy. */
    public Moments copy() {
        Moments m = new Moments();
        m.set(this);
        return m;
    }

    /** Number of values added. */
    public long count() {
        return count;
    }

    /** Arithmetic mean; NaN when empty. */
    public double mean() {
        return mean;
    }

    /** Σ(x − mean)²; 0 when empty. */
    public double m2() {
        return m2;
    }

    /** Population variance m2 / count (divisor n, not n − 1); NaN when empty, 0 for one value. */
    public double variance() {
        return count == 0 ? Double.NaN : m2 / count;
    }

    /** Population standard deviation √{@link #variance()}; NaN when empty. */
    public double std() {
        return Math.sqrt(variance());
    }

    /** Smallest value; NaN when empty. */
    public double min() {
        return min;
    }

    /** Largest value; NaN when empty. */
    public double max() {
        return max;
    }

    @Override
    public String toString() {
        return "Moments[count=" + count + ", mean=" + mean + ", std=" + std() + ", min=" + min + ", max=" + max + "]";
    }
}
