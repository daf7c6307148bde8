package dev.carousel.stats;

import dev.carousel.nn.Probe;
import dev.carousel.nn.ProbeValues;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectStreamException;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Mergeable per-time-step statistics of the gradient-flow probes: one {@link StepAccumulator} per
 * (probe, t) for t in [0, T) and each probe present. Executors {@link #record} their backward passes and the
 * driver {@link #merge}s the results (Spark aggregation style: merge mutates and returns this).
 *
 * <p>Per cell: exact count, skipped (non-finite) count, mean, population std, min and max, and quantiles:
 * exact up to {@link StepAccumulator#EXACT_LIMIT} values, beyond that from a DDSketch, within
 * ±{@link StepAccumulator#LOG10_ERROR} ≈ 0.0044 decades of the exact quantile for log10 probes and 1% relative
 * for plain ones (forget). {@link #lastLossStep()} is the step lag is
 * measured from: lag = lastLossStep − t.
 *
 * <p>Merge is associative and commutative exactly for counts, min, max and the sketches (bucket counts add),
 * so quantiles and the sketch bytes are the same for every merge order and tree shape; for mean and std up to
 * floating-point rounding (~1e-15 relative per merge), so merge shards in a fixed order (e.g. by partition
 * index) when bit-identical moments matter. The same sequence of calls gives bit-identical results run to run.
 *
 * <p>Serialization: {@link #toByteArray()} writes a compact versioned binary form (below), and Java
 * serialization goes through it (a serial proxy), so the sketches need not be {@code Serializable}. Not
 * thread-safe.
 *
 * <p>Binary form, version 2, big-endian ({@link DataOutputStream}):
 * <pre>
 * int magic 0x43535453 ("CSTS"), short version 2, int T, double relative accuracy (0.01),
 * boolean hasLastLossStep, int lastLossStep, int probeCount, probeCount × UTF probe key (in enum order),
 * per probe (same order), per t in [0, T): long count, long skipped, double mean, double m2, double min,
 *     double max, then count ≤ 256: the values as doubles, sorted; else the DDSketch's bins
 *     (StepAccumulator.writeSketch: varints, bins in index order),
 * int CRC32 of all preceding bytes.
 * </pre>
 * Version 1 has int k in place of the accuracy and, per cell, int sketchLength and that many
 * bytes of a KLL sketch ({@code KllDoublesSketch.toByteArray}); it is still read (see {@link KllFormat}).
 */
public final class StepStats implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    private static final int MAGIC = 0x43535453; // "CSTS": Carousel STep Stats
    private static final short VERSION = 2;
    /** The format whose cells carry KLL sketches; read, never written. */
    private static final short KLL_VERSION = 1;
    /** Smallest encoded cell: 2 longs and 4 doubles, with no kept values (count 0). */
    private static final int MIN_CELL_BYTES = 2 * 8 + 4 * 8;
    /** Smallest version-1 cell: 2 longs, 4 doubles, the sketch length and an empty KLL sketch (8 bytes). */
    private static final int MIN_KLL_CELL_BYTES = 2 * 8 + 4 * 8 + 4 + 8;

    private final int steps;
    private final Set<Probe> probes;
    private final Map<Probe, StepAccumulator[]> cells;
    private int lastLossStep;
    private boolean hasLastLossStep;

    /**
     * Empty statistics.
     *
     * @param steps  T, the number of time steps (≥ 1)
     * @param probes the probes to gather (non-empty)
     */
    public StepStats(int steps, Set<Probe> probes) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be ≥ 1, got " + steps);
        }
        if (probes.isEmpty()) {
            throw new IllegalArgumentException("no probes");
        }
        this.steps = steps;
        this.probes = Collections.unmodifiableSet(EnumSet.copyOf(probes));
        this.cells = new EnumMap<>(Probe.class);
        for (Probe p : this.probes) {
            StepAccumulator[] row = new StepAccumulator[steps];
            for (int t = 0; t < steps; t++) {
                row[t] = new StepAccumulator(p.isLog10());
            }
            cells.put(p, row);
        }
    }

    /** Statistics made of decoded cells: {@code cells} holds a full row of T accumulators per probe. */
    private StepStats(int steps, Map<Probe, StepAccumulator[]> cells) {
        this.steps = steps;
        this.probes = Collections.unmodifiableSet(EnumSet.copyOf(cells.keySet()));
        this.cells = cells;
    }

    /**
     * Adds every value of every gathered probe: (b, t) values of per-sequence probes go to cell (probe, t), and
     * the t-th value of a per-batch probe likewise. Probes in {@code pv} that are not gathered are ignored.
     * Nothing is changed if it throws.
     *
     * @throws IllegalArgumentException if T differs, a gathered probe is missing, or the last loss step
     *     differs from the one already recorded
     */
    public void record(ProbeValues pv) {
        if (pv.steps() != steps) {
            throw new IllegalArgumentException("ProbeValues has T = " + pv.steps() + ", expected " + steps);
        }
        for (Probe p : probes) {
            if (!pv.has(p)) {
                throw new IllegalArgumentException("ProbeValues lacks probe " + p.key());
            }
        }
        checkLastLossStep(true, pv.lastLossStep());
        for (Probe p : probes) {
            double[] v = pv.get(p);
            StepAccumulator[] row = cells.get(p);
            for (int t = 0; t < steps; t++) {
                if (p.isPerSequence()) {
                    row[t].addStrided(v, t, steps, pv.batchSize());
                } else {
                    row[t].add(v[t]);
                }
            }
        }
        lastLossStep = pv.lastLossStep();
        hasLastLossStep = true;
    }

    private void checkLastLossStep(boolean otherHas, int other) {
        if (otherHas && hasLastLossStep && other != lastLossStep) {
            throw new IllegalArgumentException("last loss step " + other + " differs from " + lastLossStep);
        }
    }

    /**
     * Adds one value to cell (p, t); a non-finite value is counted as skipped.
     *
     * @throws IllegalArgumentException if p is not gathered or t is outside [0, T)
     */
    public void add(Probe p, int t, double v) {
        cell(p, t).add(v);
    }

    /**
     * Folds {@code other} into this, cell by cell; {@code other} is not changed. Nothing is changed if it throws.
     *
     * @return this
     * @throws IllegalArgumentException if T or the probes differ, both know a different last loss step, or
     *     {@code other} is this
     */
    public StepStats merge(StepStats other) {
        if (other == this) {
            throw new IllegalArgumentException("cannot merge StepStats into itself");
        }
        if (other.steps != steps || !other.probes.equals(probes)) {
            throw new IllegalArgumentException("cannot merge StepStats of T " + other.steps + ", probes "
                    + other.probes + " into T " + steps + ", probes " + probes);
        }
        checkLastLossStep(other.hasLastLossStep, other.lastLossStep);
        for (Probe p : probes) {
            StepAccumulator[] row = cells.get(p);
            StepAccumulator[] otherRow = other.cells.get(p);
            for (int t = 0; t < steps; t++) {
                row[t].merge(otherRow[t]);
            }
        }
        if (other.hasLastLossStep) {
            lastLossStep = other.lastLossStep;
            hasLastLossStep = true;
        }
        return this;
    }

    /**
     * Summary of cell (p, t).
     *
     * @throws IllegalArgumentException if p is not gathered or t is outside [0, T)
     */
    public StepSummary summary(Probe p, int t) {
        return cell(p, t).summary();
    }

    /** The q-quantile of cell (p, t) (see {@link StepAccumulator#quantile(double)}). */
    public double quantile(Probe p, int t, double q) {
        return cell(p, t).quantile(q);
    }

    /** The accumulator of cell (p, t), not a copy. */
    StepAccumulator cell(Probe p, int t) {
        StepAccumulator[] row = cells.get(p);
        if (row == null) {
            throw new IllegalArgumentException("probe " + p.key() + " is not gathered; have " + probes);
        }
        if (t < 0 || t >= steps) {
            throw new IllegalArgumentException("step " + t + " outside [0, " + steps + ")");
        }
        return row[t];
    }

    /** T. */
    public int steps() {
        return steps;
    }

    /** The gathered probes (unmodifiable, enum order). */
    public Set<Probe> probes() {
        return probes;
    }

    /** The step lag is measured from (lag = lastLossStep − t); empty until a ProbeValues was recorded or merged in. */
    public OptionalInt lastLossStep() {
        return hasLastLossStep ? OptionalInt.of(lastLossStep) : OptionalInt.empty();
    }

    /** The binary form described in the class comment. */
    public byte[] toByteArray() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeShort(VERSION);
            out.writeInt(steps);
            out.writeDouble(StepAccumulator.RELATIVE_ACCURACY);
            out.writeBoolean(hasLastLossStep);
            out.writeInt(lastLossStep);
            out.writeInt(probes.size());
            for (Probe p : probes) {
                out.writeUTF(p.key());
            }
            for (Probe p : probes) {
                for (StepAccumulator a : cells.get(p)) {
                    Moments m = a.moments();
                    out.writeLong(m.count());
                    out.writeLong(a.skipped());
                    out.writeDouble(m.mean());
                    out.writeDouble(m.m2());
                    out.writeDouble(m.min());
                    out.writeDouble(m.max());
                    a.writeSketch(out);
                }
            }
            out.flush();
            CRC32 crc = new CRC32();
            crc.update(bytes.toByteArray());
            out.writeInt((int) crc.getValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen in memory
        }
        return bytes.toByteArray();
    }

    /**
     * Reads the binary form written by {@link #toByteArray()}.
     *
     * @throws IllegalArgumentException if the bytes are truncated, corrupt or of an unknown version
     */
    public static StepStats fromByteArray(byte[] bytes) {
        if (bytes.length < 4 + 2 + 4) {
            throw new IllegalArgumentException("StepStats bytes truncated: " + bytes.length + " bytes");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 4))) {
            int magic = in.readInt();
            if (magic != MAGIC) {
                throw new IllegalArgumentException(String.format("not StepStats bytes: magic 0x%08x", magic));
            }
            short version = in.readShort();
            if (version != VERSION && version != KLL_VERSION) {
                throw new IllegalArgumentException("unsupported StepStats version " + version
                        + " (this build reads " + KLL_VERSION + " and " + VERSION + ")");
            }
            CRC32 crc = new CRC32();
            crc.update(bytes, 0, bytes.length - 4);
            int stored = ((bytes[bytes.length - 4] & 0xff) << 24) | ((bytes[bytes.length - 3] & 0xff) << 16)
                    | ((bytes[bytes.length - 2] & 0xff) << 8) | (bytes[bytes.length - 1] & 0xff);
            if (stored != (int) crc.getValue()) {
                throw new IllegalArgumentException("StepStats bytes corrupt or truncated: CRC32 mismatch");
            }
            return read(in, version == KLL_VERSION);
        } catch (EOFException e) {
            throw new IllegalArgumentException("StepStats bytes truncated", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable StepStats bytes: " + e.getMessage(), e);
        }
    }

    private static StepStats read(DataInputStream in, boolean kll) throws IOException {
        int steps = in.readInt();
        int k = 0;
        if (kll) {
            k = in.readInt();
        } else {
            double accuracy = in.readDouble();
            if (accuracy != StepAccumulator.RELATIVE_ACCURACY) {
                throw new IllegalArgumentException("sketch relative accuracy " + accuracy + " (this build uses "
                        + StepAccumulator.RELATIVE_ACCURACY + ")");
            }
        }
        boolean hasLastLossStep = in.readBoolean();
        int lastLossStep = in.readInt();
        int probeCount = in.readInt();
        if (probeCount < 1 || probeCount > Probe.values().length) {
            throw new IllegalArgumentException("bad probe count " + probeCount);
        }
        EnumSet<Probe> probes = EnumSet.noneOf(Probe.class);
        for (int i = 0; i < probeCount; i++) {
            String key = in.readUTF();
            Probe p = byKey(key);
            if (!probes.add(p)) {
                throw new IllegalArgumentException("probe " + key + " listed twice");
            }
        }
        // Check T against the bytes left before allocating T × probes accumulators.
        if (steps < 1 || (long) steps * probeCount * (kll ? MIN_KLL_CELL_BYTES : MIN_CELL_BYTES) > in.available()) {
            throw new IllegalArgumentException("bad step count " + steps + " for " + in.available() + " bytes");
        }
        Map<Probe, StepAccumulator[]> cells = new EnumMap<>(Probe.class);
        for (Probe p : probes) {
            StepAccumulator[] row = new StepAccumulator[steps]; // every slot is filled from the stream below
            cells.put(p, row);
            for (int t = 0; t < steps; t++) {
                long count = in.readLong();
                long skipped = in.readLong();
                Moments m = Moments.of(count, in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble());
                if (kll) {
                    int length = in.readInt();
                    if (length < 0 || length > in.available()) {
                        throw new IllegalArgumentException("bad sketch length " + length + " at " + p.key() + ", t " + t);
                    }
                    row[t] = KllFormat.decode(m, skipped, in.readNBytes(length), k, p.isLog10());
                } else {
                    row[t] = StepAccumulator.read(m, skipped, p.isLog10(), in);
                }
            }
        }
        if (in.available() != 0) {
            throw new IllegalArgumentException(in.available() + " trailing bytes after StepStats");
        }
        StepStats s = new StepStats(steps, cells);
        s.hasLastLossStep = hasLastLossStep;
        s.lastLossStep = hasLastLossStep ? lastLossStep : 0;
        return s;
    }

    private static Probe byKey(String key) {
        for (Probe p : Probe.values()) {
            if (p.key().equals(key)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown probe key '" + key + "'");
    }

    /** Serializes through {@link #toByteArray()}. */
    @Serial
    private Object writeReplace() {
        return new SerialForm(toByteArray());
    }

    @Serial
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("StepStats is deserialized only through its serial proxy");
    }

    /** The Java-serialized form of a StepStats: its binary form. */
    private static final class SerialForm implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        private final byte[] bytes;

        SerialForm(byte[] bytes) {
            this.bytes = bytes;
        }

        @Serial
        private Object readResolve() throws ObjectStreamException {
            try {
                return fromByteArray(bytes);
            } catch (IllegalArgumentException e) {
                InvalidObjectException x = new InvalidObjectException(e.getMessage());
                x.initCause(e);
                throw x;
            }
        }
    }
}
