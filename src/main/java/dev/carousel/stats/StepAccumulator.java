package dev.carousel.stats;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.mapping.IndexMapping;
import com.datadoghq.sketch.ddsketch.mapping.LogarithmicMapping;
import com.datadoghq.sketch.ddsketch.store.Bin;
import com.datadoghq.sketch.ddsketch.store.Store;
import com.datadoghq.sketch.ddsketch.store.PaginatedStore;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Statistics of one stream of probe values (one probe at one time step): exact {@link Moments}, a count of
 * skipped values, and the values themselves while there are at most {@value #EXACT_LIMIT} of them, beyond that a
 * DDSketch quantile sketch (Masson, Rim and Lee 2019; {@code com.datadoghq:sketches-java}).
 *
 * <p>Fields: {@link #moments()} (count, mean, population variance, min, max) of the finite values;
 * {@link #skipped()} the number of non-finite values (−∞ from log10 of an exactly zero norm, +∞, NaN), which
 * are counted and never fed to the moments or the sketch; the sketch, for {@link #quantile(double)}.
 *
 * <p>Quantiles are exact while the accumulator holds at most {@value #EXACT_LIMIT} values. Past that it moves
 * every value into the sketch, which maps each value to a bucket index by a logarithmic mapping and counts values per index. For
 * a {@linkplain #StepAccumulator(boolean) log10 stream} (values v = log10 of a norm or gain) it sketches
 * u = 10^(v/{@value #ROOT}), the norm's {@value #ROOT}th root, with relative accuracy
 * {@link #RELATIVE_ACCURACY}/{@value #ROOT}: that is relative accuracy {@link #RELATIVE_ACCURACY} on the norm
 * itself (the bucket boundaries are the same in v), while any v in ±{@value #LOG10_RANGE} decades fits a
 * double (10^v itself underflows below −308). A quantile is then within ±{@link #LOG10_ERROR} ≈ 0.00434
 * decades of the exact one. Plain values (forget activations) are sketched directly, within a relative error
 * of {@link #RELATIVE_ACCURACY} (1%) of the exact value; negative values go to the sketch's negative store,
 * zeros to its zero count. Values beyond the mapping's range are sketched at its edge; quantiles are clamped
 * to the exact [min, max]. Unlike a rank-error sketch, the bound holds for every quantile, deterministically,
 * and does not depend on the count.
 *
 * <p>Rank convention: {@code quantile(q)} approximates the value at 0-based position ⌊q·n⌋ (clamped to
 * n − 1) of the sorted values, i.e. the smallest v with #{x ≤ v} > q·n; no interpolation, so for even n the
 * median is the upper one. {@code quantile(0)} is the exact minimum and {@code quantile(1)} the exact maximum.
 *
 * <p>Determinism: whether the values are kept or sketched depends only on their count; kept values are written
 * sorted; a value's bucket is a pure function of the value, and merging adds bucket counts, which are integers
 * held exactly in doubles (below 2^53). The state, and so every quantile and the serialized bytes (bins written
 * in index order), is therefore a function of the multiset of values added: independent of the order of adds
 * and merges and of the shape of the merge tree, with no random state and no lock.
 *
 * <p>Not thread-safe.
 */
public final class StepAccumulator {
    /** Most values an accumulator keeps as they are (quantiles exact); more go into the sketch. */
    public static final int EXACT_LIMIT = 256;

    /** Relative accuracy α of the sketch on norms (log10 streams) and on plain values. */
    public static final double RELATIVE_ACCURACY = 0.01;

    /** A log10 stream sketches the norm's ROOT-th root, so that 10^(v/ROOT) stays a normal double. */
    static final int ROOT = 64;

    /** Largest |v| (decades) a log10 stream sketches at its value; beyond, at this edge. */
    static final int LOG10_RANGE = 19_000;

    /**
     * Largest error of a log10 stream's quantile, in decades: ROOT·(−ln(1 − α/ROOT))/ln 10 ≈ α/ln 10 ≈ 0.004343
     * at α = 0.01.
     */
    public static final double LOG10_ERROR = ROOT * -Math.log1p(-RELATIVE_ACCURACY / ROOT) / Math.log(10);

    private static final IndexMapping LOG10_MAPPING = new LogarithmicMapping(RELATIVE_ACCURACY / ROOT);
    private static final IndexMapping PLAIN_MAPPING = new LogarithmicMapping(RELATIVE_ACCURACY);

    private final Moments moments;
    private final DDSketch sketch;
    private final boolean log10;
    private long skipped;
    /** The finite values while there are at most EXACT_LIMIT, in [0, count); null once they are sketched. */
    private double[] values;
    private boolean sorted;
    /** Kept values added by {@link #addWeighted} so far. */
    private int filled;

    /** An empty accumulator of plain values. */
    public StepAccumulator() {
        this(false);
    }

    /**
     * An empty accumulator.
     *
     * @param log10 true when the values are log10 of positive quantities (quantiles within ±{@link #LOG10_ERROR}
     *              decades); false for plain values (quantiles within a relative {@link #RELATIVE_ACCURACY})
     */
    public StepAccumulator(boolean log10) {
        this(new Moments(), newSketch(log10), log10, 0, new double[8]);
    }

    private static DDSketch newSketch(boolean log10) {
        return new DDSketch(log10 ? LOG10_MAPPING : PLAIN_MAPPING, PaginatedStore::new);
    }

    private StepAccumulator(Moments moments, DDSketch sketch, boolean log10, long skipped, double[] values) {
        this.moments = moments;
        this.sketch = sketch;
        this.log10 = log10;
        this.skipped = skipped;
        this.values = values;
    }

    /** Adds one value; a non-finite value only increments {@link #skipped()}. */
    public void add(double v) {
        if (!Double.isFinite(v)) {
            skipped++;
            return;
        }
        moments.add(v);
        keep(v);
    }

    /** Adds a finite value, already in the moments, to the kept values or the sketch. */
    private void keep(double v) {
        if (values == null) {
            sketch.accept(sketched(v));
            return;
        }
        long n = moments.count();
        if (n > EXACT_LIMIT) {
            spill((int) n - 1);
            sketch.accept(sketched(v));
            return;
        }
        if (n > values.length) {
            values = Arrays.copyOf(values, Math.min(EXACT_LIMIT, Math.max(8, 2 * values.length)));
        }
        values[(int) n - 1] = v;
        sorted = false;
    }

    /** Moves the first {@code kept} kept values into the sketch and keeps no more. */
    private void spill(int kept) {
        for (int i = 0; i < kept; i++) {
            sketch.accept(sketched(values[i]));
        }
        values = null;
    }

    /** Adds {@code values[offset + i·stride]} for i in [0, count): a column of a row-major [B, T] array. */
    void addStrided(double[] values, int offset, int stride, int count) {
        // Room for all of them at once, instead of doubling the kept array as they arrive.
        long room = Math.min(EXACT_LIMIT, moments.count() + count);
        if (this.values != null && room > this.values.length) {
            this.values = Arrays.copyOf(this.values, (int) room);
        }
        for (int i = 0; i < count; i++) {
            add(values[offset + i * stride]);
        }
    }

    /**
     * Adds {@code weight} copies of a finite value to the kept values or the sketch, not to the moments (decoding
     * the KLL format into an accumulator made by {@link #withMoments}).
     */
    void addWeighted(double v, long weight) {
        if (values == null) {
            sketch.accept(sketched(v), weight);
            return;
        }
        for (long i = 0; i < weight; i++) {
            if (filled >= values.length) {
                throw new IllegalArgumentException("more weighted values than the count " + moments.count());
            }
            values[filled++] = v;
        }
        sorted = false;
    }


    /** The value the sketch holds for v: 10^(v/ROOT) for a log10 stream, else v; within the mapping's range. */
    private double sketched(double v) {
        if (log10) {
            return Math.pow(10, Math.max(-LOG10_RANGE, Math.min(LOG10_RANGE, v)) / ROOT);
        }
        double max = PLAIN_MAPPING.maxIndexableValue();
        return Math.max(-max, Math.min(max, v));
    }

    /**
     * Folds {@code other} into this; {@code other} is not changed. Moments, skipped and count combine exactly,
     * and so do the sketch's bucket counts.
     *
     * @return this
     * @throws IllegalArgumentException if one is a log10 stream and the other not, or {@code other} is this
     */
    public StepAccumulator merge(StepAccumulator other) {
        if (other == this) {
            throw new IllegalArgumentException("cannot merge an accumulator into itself");
        }
        if (other.log10 != log10) {
            throw new IllegalArgumentException("cannot merge a " + kind(other.log10) + " stream into a " + kind(log10));
        }
        long mine = moments.count();
        long theirs = other.moments.count();
        if (values != null && mine + theirs <= EXACT_LIMIT) {
            if (mine + theirs > values.length) {
                values = Arrays.copyOf(values, (int) (mine + theirs));
            }
            System.arraycopy(other.values, 0, values, (int) mine, (int) theirs);
            sorted = false;
        } else {
            if (values != null) {
                spill((int) mine);
            }
            if (other.values != null) {
                for (int i = 0; i < theirs; i++) {
                    sketch.accept(sketched(other.values[i]));
                }
            } else {
                sketch.mergeWith(other.sketch);
            }
        }
        moments.merge(other.moments);
        skipped += other.skipped;
        return this;
    }

    private static String kind(boolean log10) {
        return log10 ? "log10" : "plain";
    }

    /** An independent copy with the same state. */
    public StepAccumulator copy() {
        StepAccumulator c = new StepAccumulator(moments.copy(), sketch.copy(), log10, skipped,
                values == null ? null : values.clone());
        c.sorted = sorted;
        return c;
    }

    /**
     * The q-quantile of the finite values (rank convention and accuracy in the class comment); NaN when empty.
     *
     * @throws IllegalArgumentException unless 0 ≤ q ≤ 1
     */
    public double quantile(double q) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile fraction must be in [0, 1], got " + q);
        }
        long n = moments.count();
        if (n == 0) {
            return Double.NaN;
        }
        long position = Math.min((long) Math.floor(q * n), n - 1);
        if (position == 0) {
            return moments.min();
        }
        if (position == n - 1) {
            return moments.max();
        }
        if (values != null) {
            return sortedValues()[(int) position];
        }
        double v = valueAt(position);
        return Math.max(moments.min(), Math.min(moments.max(), v));
    }

    /** The kept values, sorted in place ({@link Arrays#sort(double[])} order, −0.0 before 0.0). */
    private double[] sortedValues() {
        int n = (int) moments.count();
        if (!sorted) {
            Arrays.sort(values, 0, n);
            sorted = true;
        }
        return values;
    }

    /** The sketch's value at 0-based sorted position {@code position}: negative bins, zeros, positive bins. */
    private double valueAt(long position) {
        long seen = 0;
        IndexMapping mapping = sketch.getIndexMapping();
        for (Iterator<Bin> it = sketch.getNegativeValueStore().getDescendingIterator(); it.hasNext(); ) {
            Bin b = it.next();
            seen += (long) b.getCount();
            if (seen > position) {
                return unsketched(-mapping.value(b.getIndex()));
            }
        }
        seen += zeroCount();
        if (seen > position) {
            return unsketched(0);
        }
        double last = Double.NaN;
        for (Iterator<Bin> it = sketch.getPositiveValueStore().getAscendingIterator(); it.hasNext(); ) {
            Bin b = it.next();
            seen += (long) b.getCount();
            last = mapping.value(b.getIndex());
            if (seen > position) {
                return unsketched(last);
            }
        }
        return unsketched(last); // unreachable while the sketch's count equals the moments' count
    }

    private double unsketched(double u) {
        return log10 ? ROOT * Math.log10(u) : u;
    }

    private long zeroCount() {
        return (long) (sketch.getCount() - sketch.getPositiveValueStore().getTotalCount()
                - sketch.getNegativeValueStore().getTotalCount());
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

    /** True when the values are log10 of positive quantities. */
    public boolean isLog10() {
        return log10;
    }

    /** Moments, skipped count and the 10th, 50th and 90th percentiles. */
    public StepSummary summary() {
        return new StepSummary(moments.count(), skipped, moments.mean(), moments.std(), moments.min(),
                moments.max(), quantile(0.1), quantile(0.5), quantile(0.9));
    }

    /**
     * Writes the kept values or the sketch. Kept values (count ≤ {@value #EXACT_LIMIT}, known from the moments)
     * are written sorted, as doubles. The sketch is the negative store's bins, the zero count, the positive
     * store's bins. A store is its
     * number of non-empty bins, then per bin in ascending index the index as a zigzag varint delta from the
     * previous one (from 0 for the first) and the count as a varint. The bytes are a function of the bucket
     * counts alone, so equal merged contents give equal bytes.
     */
    void writeSketch(DataOutput out) throws IOException {
        if (values != null) {
            double[] v = sortedValues();
            for (int i = 0; i < moments.count(); i++) {
                out.writeDouble(v[i]);
            }
            return;
        }
        writeStore(out, sketch.getNegativeValueStore());
        writeVarLong(out, zeroCount());
        writeStore(out, sketch.getPositiveValueStore());
    }

    private static void writeStore(DataOutput out, Store store) throws IOException {
        List<Bin> bins = new ArrayList<>();
        store.getAscendingIterator().forEachRemaining(b -> {
            if (b.getCount() > 0) {
                bins.add(b);
            }
        });
        writeVarLong(out, bins.size());
        long previous = 0;
        for (Bin b : bins) {
            long delta = b.getIndex() - previous;
            writeVarLong(out, (delta << 1) ^ (delta >> 63));
            writeVarLong(out, (long) b.getCount());
            previous = b.getIndex();
        }
    }

    /**
     * Restores an accumulator from its moments, skipped count and the sketch written by {@link #writeSketch}.
     *
     * @throws IllegalArgumentException if the parts are corrupt or disagree with each other
     */
    static StepAccumulator read(Moments moments, long skipped, boolean log10, DataInput in) throws IOException {
        StepAccumulator a = withMoments(moments, skipped, log10);
        if (a.values != null) {
            int n = (int) moments.count();
            for (int i = 0; i < n; i++) {
                a.values[i] = in.readDouble();
                if (!Double.isFinite(a.values[i]) || (i > 0 && Double.compare(a.values[i - 1], a.values[i]) > 0)) {
                    throw new IllegalArgumentException("kept value " + i + " not finite or out of order");
                }
            }
            // Kept values decoded from KLL past its k are its weighted items, which need not include min and max.
            if (n > 0 && (a.values[0] < moments.min() || a.values[n - 1] > moments.max())) {
                throw new IllegalArgumentException("kept values [" + a.values[0] + ", " + a.values[n - 1]
                        + "] disagrees with moments (" + moments + ")");
            }
            a.sorted = true;
            return a;
        }
        long total = readStore(in, a.sketch.getNegativeValueStore());
        long zeros = readVarLong(in);
        if (zeros < 0) {
            throw new IllegalArgumentException("negative zero count " + zeros);
        }
        if (zeros > 0) {
            a.sketch.accept(0, zeros);
        }
        total += zeros + readStore(in, a.sketch.getPositiveValueStore());
        if (total != moments.count()) {
            throw new IllegalArgumentException("sketch of " + total + " values disagrees with moments (" + moments + ")");
        }
        // No bin may lie outside the buckets of the exact min and max. (A sketch decoded from KLL need not hold
        // them: KLL tracks min and max beside its retained items.)
        if (total > 0 && (a.valueAt(0) < a.bucketed(moments.min()) || a.valueAt(total - 1) > a.bucketed(moments.max()))) {
            throw new IllegalArgumentException("sketch range [" + a.valueAt(0) + ", " + a.valueAt(total - 1)
                    + "] disagrees with moments (" + moments + ")");
        }
        return a;
    }

    /** The value the sketch reports for any value in v's bucket. */
    private double bucketed(double v) {
        double u = sketched(v);
        IndexMapping mapping = sketch.getIndexMapping();
        if (Math.abs(u) <= mapping.minIndexableValue()) {
            return unsketched(0);
        }
        double b = mapping.value(mapping.index(Math.abs(u)));
        return unsketched(u < 0 ? -b : b);
    }

    /**
     * An accumulator with the given moments and skipped count and no values yet, to be filled by the caller:
     * room for count values when count ≤ {@value #EXACT_LIMIT}, else an empty sketch.
     */
    static StepAccumulator withMoments(Moments moments, long skipped, boolean log10) {
        if (skipped < 0) {
            throw new IllegalArgumentException("negative skipped count " + skipped);
        }
        long n = moments.count();
        return new StepAccumulator(moments, newSketch(log10), log10, skipped,
                n <= EXACT_LIMIT ? new double[(int) n] : null);
    }

    /** The number of values kept or in the sketch (equal to {@link #count()} for a consistent state). */
    long heldCount() {
        return values != null ? filled : (long) sketch.getCount();
    }

    private static long readStore(DataInput in, Store store) throws IOException {
        long bins = readVarLong(in);
        if (bins < 0 || bins > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad sketch bin count " + bins);
        }
        long index = 0;
        long total = 0;
        for (long i = 0; i < bins; i++) {
            long zigzag = readVarLong(in);
            long delta = (zigzag >>> 1) ^ -(zigzag & 1);
            index += delta;
            long count = readVarLong(in);
            if ((i > 0 && delta <= 0) || index < Integer.MIN_VALUE || index > Integer.MAX_VALUE || count < 1
                    || count > 1L << 53) {
                throw new IllegalArgumentException("bad sketch bin " + i + ": index " + index + ", count " + count);
            }
            store.add((int) index, count);
            total += count;
        }
        return total;
    }

    private static void writeVarLong(DataOutput out, long v) throws IOException {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    private static long readVarLong(DataInput in) throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.readByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes");
    }
}
