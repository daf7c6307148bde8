package dev.carousel.nn;

/**
 * What one training network ({@link RecurrentNetwork} plus θ, its gradient and Adam's state) holds, in bytes,
 * as a function of (B, T, I, H, O, loss steps P, precision); checked against measured JavaCPP and JVM heap
 * figures in BENCHMARKS.md ("Memory"). s = 4 (float32) or 8 (float64) bytes per element.
 *
 * <pre>
 *   off-heap (ND4J arrays):
 *     workspace  s·[ T·B·(I + 2G + 5H + 1) + 2·B·H + P·B·(2O + 2H + 1) + 2·B² ]        LSTM, G = 4H
 *                s·[ T·B·(I + 2G + 2H + 1) + B·H   + P·B·(2O + 2H + 1) + 2·B² ]        RNN,  G = H
 *                (x, z, δz, h, c, tanh c, δh, δc, ones; head buffers; two B×B Gram matrices)
 *     parameters s·7·P_θ,  P_θ = I·G + H·G + G + H·O + O          (θ, ∂θ, Adam m, v, and the copies of θ, m, v
 *                                                                  that undo an update that made them non-finite)
 *   heap (Java arrays):
 *     batch      8·T·B·(I + O)                                                         (SequenceBatch, double[])
 *     step math  4·B·(G + 18H) float32 | 8·(B·(2G + 6H) + G) float64,  + 16·B² + 8·B·H  (step blocks, Gram, path gain)
 *     probes     8·4·B·T per probed step, plus the StepStats sketches (measured, BENCHMARKS.md)
 * </pre>
 *
 * The T-dependent off-heap term dominates: for the LSTM, s·T·B·(I + 13H + 1). With P ≪ T the largest T that
 * fits an off-heap budget M is {@link #maxSteps}.
 */
public final class MemoryEstimate {
    private MemoryEstimate() {}

    static int size(Precision p) {
        return p == Precision.FLOAT32 ? 4 : 8;
    }

    /** Off-heap bytes of the workspace and of θ, ∂θ, Adam's state (m, v) and the undo copies of θ, m and v. */
    public static long offHeapBytes(ModelSpec spec, int b, int t, int lossSteps) {
        long s = size(spec.precision());
        long i = spec.inputSize();
        long h = spec.hidden();
        long o = spec.outputSize();
        long g = spec.gateWidth();
        boolean lstm = spec.cell() == CellType.LSTM;
        long perRow = i + 2 * g + (lstm ? 5 * h : 2 * h) + 1;
        long workspace = (long) t * b * perRow + (lstm ? 2 : 1) * (long) b * h
                + (long) lossSteps * b * (2 * o + 2 * h + 1) + 2L * b * b;
        return s * (workspace + 7 * spec.layout().count());
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

    /** The largest T whose off-heap bytes fit {@code budgetBytes} (0 if not even T = 1 fits). */
    public static int maxSteps(ModelSpec spec, int b, int lossSteps, long budgetBytes) {
        long fixed = offHeapBytes(spec, b, 0, lossSteps);
        long perStep = offHeapBytes(spec, b, 1, lossSteps) - fixed;
        return budgetBytes <= fixed ? 0 : (int) Math.min(Integer.MAX_VALUE, (budgetBytes - fixed) / perStep);
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
