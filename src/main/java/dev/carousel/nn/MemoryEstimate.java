package dev.carousel.nn;

import java.util.List;

/**
 * What one training network ({@link RecurrentNetwork} plus θ, its gradient and Adam's state) holds, in bytes,
 * as a function of (B, T, I, H, O, loss steps P, precision); checked against measured JavaCPP and JVM heap
 * figures in BENCHMARKS.md ("Memory"). s = 4 (float32) or 8 (float64) bytes per element.
 *
 * <pre>
 *   off-heap (ND4J arrays):
 *     workspace  s·[ T·B·(I + 2G + 5H + 1) + 2·B·H + P·B·(2O + 2H + 1) + 2·B² ]        LSTM, G = 4H
 *                s·[ T·B·(I + 2G + 2H + 1) + B·H   + P·B·(2O + 2H + 1) + 2·B² ]        RNN,  G = H
 *                (x, z, δz, h, c, tanh c, δh, δc, ones; head buffers, 2H of them only when P &lt; T; two B×B
 *                Gram matrices)
 *     validation network (forward only; B_eval ≤ 250): the same without δz, δh, δc and ones:
 *                s·[ T·B·(I + G + 3H) + 2·B·H + P·B·(2O + 2H + 1) + 2·B² ]               LSTM
 *     parameters s·7·P_θ,  P_θ = I·G + H·G + G + H·O + O          (θ, ∂θ, Adam m, v, and the copies of θ, m, v
 *                                                                  that undo an update that made them non-finite)
 *   heap (Java arrays):
 *     batch      8·T·B·(I + O)                                                         (SequenceBatch, double[])
 *     step math  4·B·(G + 18H) float32 | 8·(B·(2G + 6H) + G) float64,  + 16·B² + 8·B·H  (step blocks, Gram, path gain)
 *     probes     8·4·B·T per probed step with the default probe set, plus the StepStats sketches (measured,
 *                BENCHMARKS.md); the δc split, when probes.set names it, adds 8·8·B·T, a [16·B, G] off-heap
 *                product buffer and 8·B·(3G + 2H) of step blocks, none of them counted here
 * </pre>
 *
 * The T-dependent off-heap term dominates: for the LSTM, s·T·(B·(I + 13H + 1) + B_eval·(I + 7H)). The largest T
 * that fits an off-heap budget M is {@link #maxSteps}.
 */
public final class MemoryEstimate {
    private MemoryEstimate() {}

    static int size(Precision p) {
        return p == Precision.FLOAT32 ? 4 : 8;
    }

    /** Off-heap bytes of the workspace and of θ, ∂θ, Adam's state (m, v) and the undo copies of θ, m and v. */
    public static long offHeapBytes(ModelSpec spec, int b, int t, int lossSteps) {
        return workspaceBytes(spec, b, t, lossSteps, true) + size(spec.precision()) * 7L * spec.layout().count();
    }

    /**
     * Off-heap bytes of a network that only evaluates (the validation network, {@code LocalSteps}' B ≤ 250): its
     * workspace without the backward pass's buffers, s·[T·B·(I + G + 3H) + …] for the LSTM (x, z, h, c, tanh c),
     * s·[T·B·(I + 2H) + …] for the RNN. θ is the training network's.
     */
    public static long evaluationOffHeapBytes(ModelSpec spec, int b, int t, int lossSteps) {
        return workspaceBytes(spec, b, t, lossSteps, false);
    }

    /**
     * Bytes of a network's workspace for (B, T, loss steps): the forward pass's buffers, and with {@code backward}
     * the backward pass's δz, δh, δc and ones column (allocated by the first gradient pass): the sizes of the
     * {@link Workspace}'s tensors, checked against a real network's measured memory (RecurrentNetworkMemoryTest).
     */
    public static long workspaceBytes(ModelSpec spec, int b, int t, int lossSteps, boolean backward) {
        long s = size(spec.precision());
        long i = spec.inputSize();
        long h = spec.hidden();
        long o = spec.outputSize();
        long g = spec.gateWidth();
        boolean lstm = spec.cell() == CellType.LSTM;
        long tb = (long) t * b;
        long pb = (long) lossSteps * b;
        boolean everyStep = lossSteps == t;
        long forward = tb * (i + g + (lstm ? 3 * h : h)) + (lstm ? 2 : 1) * (long) b * h // x, z, h (and c, tanh c)
                + (everyStep ? 0 : 2 * pb * h) + 2 * pb * o + pb + 2L * b * b;  // h_P, δh_P, ŷ, δy, ones_P, Grams
        long back = tb * (g + (lstm ? 2 * h : h) + 1);                            // δz, δh (and δc), ones
        return s * (forward + back * (backward ? 1 : 0));
    }

    /**
     * The largest T at which a training network of batch {@code b} and a validation network of batch {@code bEval}
     * (0: no validation) fit {@code budgetBytes} together (0 if not even T = max(1, lossSteps) fits).
     */
    public static int maxSteps(ModelSpec spec, int b, int bEval, int lossSteps, long budgetBytes) {
        java.util.function.IntToLongFunction bytes = t -> offHeapBytes(spec, b, t, lossSteps)
                + (bEval > 0 ? evaluationOffHeapBytes(spec, bEval, t, lossSteps) : 0);
        // T below the number of loss steps is no configuration. From T = lossSteps on the bytes grow with T (the
        // h_P buffers join at T = lossSteps + 1), so a doubling then bisecting search finds the largest T.
        int lo = Math.max(1, lossSteps);
        if (bytes.applyAsLong(lo) > budgetBytes) {
            return 0;
        }
        int hi = 2 * lo;
        while (hi < Integer.MAX_VALUE / 2 && bytes.applyAsLong(hi) <= budgetBytes) {
            lo = hi;
            hi *= 2;
        }
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (bytes.applyAsLong(mid) <= budgetBytes) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The largest T whose off-heap bytes of one training network fit {@code budgetBytes} (0 if not even T = 1 fits). */
    public static int maxSteps(ModelSpec spec, int b, int lossSteps, long budgetBytes) {
        return maxSteps(spec, b, 0, lossSteps, budgetBytes);
    }

    /** Most elements one array may hold: Java arrays, and ND4J's where it indexes with int, stop just below 2^31. */
    public static final long MAX_ARRAY_ELEMENTS = Integer.MAX_VALUE - 8;

    /**
     * One array a run allocates, by name and shape, with its element count.
     *
     * @param name     what it holds, e.g. {@code "gate pre-activations z"}
     * @param shape    its shape in the config's symbols, e.g. {@code "[T·B, G]"}
     * @param elements its element count, exact (a long: the products of in-range keys exceed int)
     */
    public record Array(String name, String shape, long elements) {}

    /**
     * The largest array of a training network of batch {@code b} and length {@code t}: θ and its gradient
     * ([P_θ]), the gate buffers z and δz ([T·B, G]), the hidden and cell states ([(T+1)·B, H]), the inputs
     * and targets ([T·B, I], [T·B, O], also as Java arrays of the batch) or the Gram matrices of the probes
     * ([B, B]). Computed in long, so no product of in-range sizes overflows; a run is possible only when it
     * holds at most {@link #MAX_ARRAY_ELEMENTS}.
     */
    public static Array largestArray(ModelSpec spec, int b, int t) {
        long tb = (long) t * b;
        List<Array> arrays = List.of(
                new Array("parameters θ", "[P_θ]", spec.layout().count()),
                new Array("gate pre-activations z", "[T·B, G]", tb * spec.gateWidth()),
                new Array("hidden states h", "[(T+1)·B, H]", (tb + b) * spec.hidden()),
                new Array("inputs x", "[T·B, I]", tb * spec.inputSize()),
                new Array("targets y", "[T·B, O]", tb * spec.outputSize()),
                new Array("probe Gram matrix", "[B, B]", (long) b * b));
        return arrays.stream().max(java.util.Comparator.comparingLong(Array::elements)).orElseThrow();
    }

    /** Heap bytes of the batch, the step blocks and one probed step's probe arrays (not the StepStats sketches). */
    public static long heapBytes(ModelSpec spec, int b, int t) {
        long i = spec.inputSize();
        long h = spec.hidden();
        long o = spec.outputSize();
        long g = spec.gateWidth();
        long batch = 8L * t * b * (i + o);
        long blocks = spec.precision() == Precision.FLOAT32 ? 4L * b * (g + 18 * h) : 8L * (b * (2 * g + 6 * h) + g);
        return batch + blocks + 16L * b * b + 8L * b * h + 32L * b * t;
    }


    /** Convenience for the benchmark's model: LSTM, O = 1, one loss step. */
    public static long offHeapBytes(int b, int t, int i, int h, int o, Precision p) {
        return offHeapBytes(new ModelSpec(CellType.LSTM, i, h, o, new ForgetGate.Learned(1.0), p), b, t, 1);
    }

    /** Convenience for the benchmark's model: LSTM, O = 1. */
    public static long heapBytes(int b, int t, int i, int h, int o, Precision p) {
        return heapBytes(new ModelSpec(CellType.LSTM, i, h, o, new ForgetGate.Learned(1.0), p), b, t);
    }
}
