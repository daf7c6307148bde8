package dev.carousel.optim;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The state of an {@link Optimizer}: a small, ordered, named set of flat buffers, each of shape [P] and of the
 * same data type as the parameter vector θ, plus the number of updates applied so far.
 *
 * <p>Buffer names used by the implementations: {@link Sgd} "momentum" (none when μ = 0), {@link Adam} "m" and
 * "v", {@link RmsProp} "ms". The state is flat on purpose: the distributed layer forms the example-weighted
 * average Σ w_p s_p / Σ w_p of the states of all partitions (with {@link #scaledCopy}, {@link #addScaled},
 * {@link #scale} or {@link #weightedAverage}) and checkpoints each buffer as one .npy file.
 *
 * <p><b>Step counts under averaging.</b> Averaging requires all states to have the <em>same</em>
 * {@link #step()}, and keeps it. Adam's bias correction 1/(1−β^t) is only right for moments accumulated over
 * exactly t updates; an average of moments accumulated over different t has no single correct t, so taking
 * the max (or a mean) would silently mis-scale the step. In synchronous parameter averaging every partition
 * starts from the same broadcast state and applies the same number of local updates, so equal counts are an
 * invariant and a mismatch is a bug: {@link #addScaled} throws {@link IllegalArgumentException}.
 *
 * <p>Not thread-safe; an instance belongs to one training loop.
 */
public final class OptimizerState implements Serializable {

    private static final long serialVersionUID = 1L;

    private final LinkedHashMap<String, INDArray> buffers;
    private long step;

    private OptimizerState(LinkedHashMap<String, INDArray> buffers, long step) {
        this.buffers = buffers;
        this.step = step;
    }

    /**
     * Wraps existing buffers (not copied), e.g. read back from a checkpoint.
     *
     * @param buffers name → flat array [P]; all of the same shape and data type; iteration order is kept
     * @param step    number of updates already applied (≥ 0)
     */
    public static OptimizerState of(Map<String, INDArray> buffers, long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        LinkedHashMap<String, INDArray> copy = new LinkedHashMap<>();
        INDArray first = null;
        for (Map.Entry<String, INDArray> e : buffers.entrySet()) {
            INDArray a = Objects.requireNonNull(e.getValue(), e.getKey());
            if (first != null && (!Arrays.equals(first.shape(), a.shape()) || first.dataType() != a.dataType())) {
                throw new IllegalArgumentException("buffer '" + e.getKey() + "' " + describe(a)
                        + " differs from " + describe(first));
            }
            first = first == null ? a : first;
            copy.put(Objects.requireNonNull(e.getKey()), a);
        }
        return new OptimizerState(copy, step);
    }

    /** A state holding zero-filled buffers with the given names, shaped and typed like {@code params} [P]. */
    static OptimizerState zeros(INDArray params, String... names) {
        LinkedHashMap<String, INDArray> b = new LinkedHashMap<>();
        for (String n : names) {
            b.put(n, Nd4j.zerosLike(params));
        }
        return new OptimizerState(b, 0);
    }

    /** Buffer names, in a fixed order (the checkpoint order). */
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(buffers.keySet()));
    }

    /** The live buffer [P] called {@code name} (not a copy: writes change the state). */
    public INDArray get(String name) {
        INDArray a = buffers.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no buffer '" + name + "' in state " + buffers.keySet());
        }
        return a;
    }

    /** Number of updates applied since creation or {@link #reset()}. */
    public long step() {
        return step;
    }

    /** Advances the update count and returns the new value t (1 for the first update). */
    long incrementStep() {
        return ++step;
    }

    /** Deep copy: every buffer is {@code dup()}ed; the step count is kept. */
    public OptimizerState copy() {
        LinkedHashMap<String, INDArray> b = new LinkedHashMap<>();
        buffers.forEach((n, a) -> b.put(n, a.dup()));
        return new OptimizerState(b, step);
    }

    /**
     * Overwrites this state's buffers and step count with {@code other}'s, without allocating (e.g. to undo
     * an update that left the state non-finite); returns {@code this}.
     *
     * @throws IllegalArgumentException if names, shapes or data types differ
     */
    public OptimizerState copyFrom(OptimizerState other) {
        requireSameBuffers(other);
        for (Map.Entry<String, INDArray> e : buffers.entrySet()) {
            FlatVector.copy(other.buffers.get(e.getKey()), e.getValue());
        }
        step = other.step;
        return this;
    }

    /** @throws IllegalArgumentException unless {@code other} has the same buffer names, shapes and data types */
    private void requireSameBuffers(OptimizerState other) {
        if (!buffers.keySet().equals(other.buffers.keySet())) {
            throw new IllegalArgumentException("buffer names differ: " + buffers.keySet() + " vs "
                    + other.buffers.keySet());
        }
        for (Map.Entry<String, INDArray> e : buffers.entrySet()) {
            INDArray mine = e.getValue();
            INDArray theirs = other.buffers.get(e.getKey());
            if (!Arrays.equals(mine.shape(), theirs.shape()) || mine.dataType() != theirs.dataType()) {
                throw new IllegalArgumentException("buffer '" + e.getKey() + "': " + describe(mine) + " vs "
                        + describe(theirs));
            }
        }
    }

    /** Deep copy with every buffer multiplied by {@code w}; the step count is kept. */
    public OptimizerState scaledCopy(double w) {
        OptimizerState c = copy();
        c.scale(w);
        return c;
    }

    /** Multiplies every buffer by {@code factor} in place; returns {@code this}. */
    public OptimizerState scale(double factor) {
        for (INDArray a : buffers.values()) {
            a.muli(factor);
        }
        return this;
    }

    /**
     * In place {@code this += w · other}, buffer by buffer; returns {@code this}.
     *
     * @throws IllegalArgumentException if names, shapes, data types or step counts differ (see class comment)
     */
    public OptimizerState addScaled(OptimizerState other, double w) {
        requireSameBuffers(other);
        if (step != other.step) {
            throw new IllegalArgumentException("cannot average states with different step counts: " + step
                    + " vs " + other.step);
        }
        for (Map.Entry<String, INDArray> e : buffers.entrySet()) {
            INDArray mine = e.getValue();
            INDArray theirs = other.buffers.get(e.getKey());
            // Averaging happens once per round, not per update, so the temporary from mul() is acceptable.
            mine.addi(theirs.mul(w));
        }
        return this;
    }

    /**
     * A new state Σ w_p s_p / Σ w_p. The inputs are not modified.
     *
     * @param weights one non-negative weight per state (e.g. example counts) with a positive sum
     * @throws IllegalArgumentException on empty input, bad weights or states that cannot be averaged
     */
    public static OptimizerState weightedAverage(List<OptimizerState> states, double[] weights) {
        if (states.isEmpty() || states.size() != weights.length) {
            throw new IllegalArgumentException(states.size() + " states but " + weights.length + " weights");
        }
        double total = 0;
        for (double w : weights) {
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new IllegalArgumentException("weights must be finite and >= 0: " + Arrays.toString(weights));
            }
            total += w;
        }
        if (!(total > 0)) {
            throw new IllegalArgumentException("weights must have a positive sum: " + Arrays.toString(weights));
        }
        OptimizerState acc = states.get(0).scaledCopy(weights[0]);
        for (int i = 1; i < states.size(); i++) {
            acc.addScaled(states.get(i), weights[i]);
        }
        return acc.scale(1.0 / total);
    }

    /** Zeroes every buffer and the step count, as if freshly created. */
    public void reset() {
        for (INDArray a : buffers.values()) {
            a.assign(0);
        }
        step = 0;
    }

    @Override
    public String toString() {
        return "OptimizerState" + buffers.keySet() + "{step=" + step + "}";
    }

    private static String describe(INDArray a) {
        return a.dataType() + Arrays.toString(a.shape());
    }
}
