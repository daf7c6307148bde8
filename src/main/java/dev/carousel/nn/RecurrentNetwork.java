package dev.carousel.nn;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import java.util.EnumSet;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The ND4J engine: forward pass, hand-written backpropagation through time, and the gradient-flow
 * probes of docs/science.md, all on one model. Shape legend for this file:
 *
 * <pre>
 *   T steps, B sequences, I inputs, H hidden, G = 4H (LSTM: gates i|f|g|o) or H (RNN), O outputs,
 *   P = number of loss steps.  Time-major rows: row t·B + b holds sequence b at step t.
 * </pre>
 *
 * <p>For few inputs (I &lt; 32) the input projection x_t·W_x is one [B, I]×[I, G] GEMM per step, right before
 * the recurrent product h_{t−1}·W_h into the same z_t block (one [T·B, I] product gives the same values but
 * writes all of z to memory before the loop reads it back); for more inputs it is one [T·B, I]×[I, G] GEMM
 * before the loop. After the time loop dW_x, dW_h and db are one GEMM each over all steps. Every product goes
 * straight to OpenBLAS ({@link Blas}: no ND4J op dispatch in the loop). Every buffer is allocated once per (T, B,
 * loss steps) in a {@link Workspace}; the pointwise gate math of a step is a {@link StepKernel}, chosen once by
 * precision: one fused pass over Java arrays ({@link DoubleKernel}, exp-based) or float arithmetic that compiles
 * to SIMD code ({@link FloatKernel}, {@link FloatMath}). Probes other than dwh_step are gathered inside the
 * backward loop; dwh_step uses the Gram identity with two symmetric rank-k updates per step.
 *
 * <p>Gradients of state (δh, δc, δz) are taken against the per-sequence loss ℓ_b, not divided by B,
 * so probes do not depend on the batch size; parameter gradients are of the batch loss L = mean_b ℓ_b.
 *
 * <p>Not thread-safe: use one instance per thread (one per Spark task).
 */
public final class RecurrentNetwork {
    private final ModelSpec spec;
    private final ParameterLayout layout;
    private final boolean lstm;
    /** φ for fixed/none forget gates; NaN when f is learned. */
    private final double constantForget;
    private final StepKernel.Factory kernels;
    private final LossHead lossHead;
    private Workspace ws;
    /** The kernel bound to {@link #ws}. */
    private StepKernel kernel;
    public RecurrentNetwork(ModelSpec spec) {
        this(spec, StepKernel.forPrecision(spec.precision()));
    }

    /** A network whose steps run on the kernels {@code kernels} makes (tests wrap the precision's own). */
    RecurrentNetwork(ModelSpec spec, StepKernel.Factory kernels) {
        this.spec = spec;
        this.kernels = kernels;
        this.lossHead = new LossHead(spec);
        this.layout = spec.layout();
        this.lstm = spec.cell() == CellType.LSTM;
        this.constantForget = spec.constantForget();
    }

    public ModelSpec spec() {
        return spec;
    }

    /** Loss (and per-sequence losses) of one forward and backward pass. */
    public record Result(double loss, double[] sequenceLosses, ProbeValues probes) {}

    /** Loss and task metric of a forward pass: MSE for regression, accuracy over loss steps for classification. */
    public record Evaluation(double loss, double metric, String metricName, long sequences) {}

    /**
     * Copies of the last pass's tensors, all time-major [T·B, ·]: h and c [T·B, H], gate activations
     * (LSTM: i|f|g|o; RNN: h) [T·B, G], and the state gradients against ℓ_b: dh, dc [T·B, H], dz [T·B, G].
     * dc, c are null for the RNN; dh, dc, dz are null after a forward-only pass.
     */
    public record Trace(INDArray h, INDArray c, INDArray gates, INDArray dh, INDArray dc, INDArray dz) {}

    /**
     * Forward and backward over one batch. Writes ∂L/∂θ into {@code grad} ([P], same precision as θ) and
     * returns the loss; with {@code recordProbes}, records every probe that applies to the cell.
     *
     * @param theta [P]
     * @param grad  [P], overwritten
     */
    public Result lossAndGradient(INDArray theta, SequenceBatch batch, INDArray grad, boolean recordProbes) {
        return lossAndGradient(theta, batch, grad, recordProbes ? EnumSet.allOf(Probe.class) : Set.of());
    }

    /**
     * Forward and backward over one batch, recording the probes of {@code probes} that apply to the cell (none when
     * it is empty: then the result's probes are null). Parameter gradients and loss do not depend on the probes.
     *
     * @param theta [P]
     * @param grad  [P], overwritten
     */
    public Result lossAndGradient(INDArray theta, SequenceBatch batch, INDArray grad, Set<Probe> probes) {
        boolean recordProbes = !probes.isEmpty();
        Workspace w = workspace(batch);
        w.allocateBackward();
        BoundParameters p = thetaBound = bind(thetaBound, theta);
        double[] seqLosses = forward(w, p, batch);
        ProbeRecorder recorder = recordProbes ? w.probes.reset(probes) : null;
        backward(w, p, gradBound = bind(gradBound, grad), batch, recorder);
        w.backwardValid = true;
        ProbeValues values = recordProbes ? recorder.values(w, batch.supervision(), p.wh) : null;
        return new Result(mean(seqLosses), seqLosses, values);
    }

    /** Forward only: loss and task metric. */
    public Evaluation evaluate(INDArray theta, SequenceBatch batch) {
        Workspace w = workspace(batch);
        double[] seqLosses = forward(w, thetaBound = bind(thetaBound, theta), batch);
        w.backwardValid = false;
        double metric;
        String name;
        if (batch.supervision().kind() == LossKind.MSE) {
            metric = mean(seqLosses);
            name = "mse";
        } else {
            metric = lossHead.accuracy(w, batch);
            name = "accuracy";
        }
        return new Evaluation(mean(seqLosses), metric, name, batch.batchSize());
    }

    /**
     * Forward only: the outputs y = h·W_y + b_y at the loss steps, before any softmax, as [P·B, O] row-major (row
     * k·B + b holds loss step k of sequence b). The batch's targets feed only the loss, which is discarded.
     */
    public double[] outputs(INDArray theta, SequenceBatch batch) {
        Workspace w = workspace(batch);
        forward(w, thetaBound = bind(thetaBound, theta), batch);
        w.backwardValid = false;
        double[] y = new double[batch.supervision().count() * batch.batchSize() * spec.outputSize()];
        w.ryhat.read(0, y, y.length);
        return y;
    }

    /** Copies of the tensors of the last pass (for tests, and for the probe export). */
    public Trace trace() {
        if (ws == null) {
            throw new IllegalStateException("no pass has run yet");
        }
        Workspace w = ws;
        INDArray h = w.hs.get(rows(w.b, (w.t + 1) * w.b), NDArrayIndex.all()).dup();
        INDArray c = lstm ? w.cs.get(rows(w.b, (w.t + 1) * w.b), NDArrayIndex.all()).dup() : null;
        INDArray gates = w.z.dup();
        if (!w.backwardValid) {
            return new Trace(h, c, gates, null, null, null);
        }
        return new Trace(h, c, gates, w.dh.dup(), lstm ? w.dc.dup() : null, w.dz.dup());
    }

    /**
     * One step computed on its own, allocating its results: the slow, obvious path that the batched
     * forward is tested against.
     *
     * @param xt    [B, I]
     * @param hPrev [B, H]
     * @param cPrev [B, H] (ignored by the RNN)
     * @return {h_t, c_t} ([B, H] each; c_t null for the RNN)
     */
    public INDArray[] step(INDArray theta, INDArray xt, INDArray hPrev, INDArray cPrev) {
        Parameters p = new Parameters(layout, theta);
        INDArray z = xt.mmul(p.wx).addi(hPrev.mmul(p.wh)).addiRowVector(p.b);
        if (!lstm) {
            INDArray h = Transforms.tanh(z, false);
            return new INDArray[] {h, null};
        }
        int hd = spec.hidden();
        INDArray i = Transforms.sigmoid(z.get(NDArrayIndex.all(), NDArrayIndex.interval(0, hd)), true);
        INDArray f = Double.isNaN(constantForget)
                ? Transforms.sigmoid(z.get(NDArrayIndex.all(), NDArrayIndex.interval(hd, 2 * hd)), true)
                : Nd4j.valueArrayOf(new long[] {xt.rows(), hd}, constantForget, z.dataType());
        INDArray g = Transforms.tanh(z.get(NDArrayIndex.all(), NDArrayIndex.interval(2 * hd, 3 * hd)), true);
        INDArray o = Transforms.sigmoid(z.get(NDArrayIndex.all(), NDArrayIndex.interval(3 * hd, 4 * hd)), true);
        INDArray c = f.mul(cPrev).addi(i.mul(g));
        INDArray h = o.mul(Transforms.tanh(c, true));
        return new INDArray[] {h, c};
    }

    // ---------------------------------------------------------------------------------------------
    // forward

    /** Input sizes below this get dW_x as one gemv per input (see {@link #backward}). */
    private static final int THIN_INPUT_BELOW = 4;

    /** Input sizes below this get the input projection per step (see {@link #forward}). */
    static final int PER_STEP_INPUT_BELOW = 32;

    /** Runs the forward pass into the workspace; returns ℓ_b per sequence and leaves ∂ℓ_b/∂y in w.dy. */
    private double[] forward(Workspace w, BoundParameters p, SequenceBatch batch) {
        final int tn = w.t;
        final int bn = w.b;
        final int h = spec.hidden();
        final int g = spec.gateWidth();
        double[] inputs = batch.inputs();
        w.rx.write(0, inputs, inputs.length);
        Blas.Matrix wh = p.wh;
        Blas.Matrix wx = p.wx;
        final int in = spec.inputSize();
        final long bi = (long) bn * in;
        // Few inputs: x_t·W_x per step (below). Many: one [T·B, I]×[I, G] product here, as a per-step product
        // would re-pack W_x [I, G] every step. Both give the same values (same kernel, same K).
        final boolean perStepInput = in < PER_STEP_INPUT_BELOW;
        if (!perStepInput) {
            Blas.gemm(w.mx, 0, false, wx, 0, false, w.mz, 0, tn * bn, g, in, 1.0, 0.0);
        }
        kernel.beginForward(p.b);
        final long bg = (long) bn * g;
        final long bh = (long) bn * h;
        for (int t = 0; t < tn; t++) {
            // z_t = x_t·W_x, step by step rather than as one [T·B, I]×[I, G] product: the same kernel on the same
            // K, so the same values, but z_t is still in cache for the recurrent product and the activations.
            if (perStepInput) {
                Blas.gemm(w.mx, t * bi, false, wx, 0, false, w.mz, t * bg, bn, g, in, 1.0, 0.0);
            }
            if (t > 0) { // z_t += h_{t−1}·W_h   ([B, H]×[H, G]; h_{−1} = 0: no recurrent term at t = 0)
                Blas.gemm(w.mhs, t * bh, false, wh, 0, false, w.mz, t * bg, bn, g, h, 1.0, 1.0);
            }
            kernel.forward(t);
        }
        return lossHead.forward(w, p, batch);
    }

    // ---------------------------------------------------------------------------------------------
    // backward

    private void backward(Workspace w, BoundParameters p, BoundParameters grad, SequenceBatch batch, ProbeRecorder probes) {
        final int tn = w.t;
        final int bn = w.b;
        final int h = spec.hidden();
        final int g = spec.gateWidth();
        final double invB = 1.0 / bn;
        lossHead.backward(w, p, grad, batch.supervision().steps());
        Blas.Matrix wh = p.wh;
        final long bg = (long) bn * g;
        final long bh = (long) bn * h;
        for (int t = tn - 1; t >= 0; t--) {
            if (t < tn - 1) { // δh_t += δz_{t+1}·W_hᵀ   ([B, G]×[G, H])
                Blas.gemm(w.mdz, (t + 1) * bg, false, wh, 0, true, w.mdh, t * bh, bn, h, g, 1.0, 1.0);
            }
            kernel.backward(t, probes);
        }
        // After the loop, over all steps at once: dW_x = xᵀ·δz, dW_h = h_{t−1}ᵀ·δz, db = 1ᵀ·δz (all / B).
        final int tbn = tn * bn;
        // With few inputs (I < 4) dW_x is I thin products, one gemv each over δz with x's column i read at stride I.
        final int in = spec.inputSize();
        if (in < THIN_INPUT_BELOW) {
            for (int i = 0; i < in; i++) {
                Blas.gemvTrans(w.mdz, 0, tbn, g, w.mx, i, in, grad.wx, (long) i * g, invB, 0.0);
            }
        } else {
            Blas.gemm(w.mx, 0, true, w.mdz, 0, false, grad.wx, 0, in, g, tbn, invB, 0.0);
        }
        Blas.gemm(w.mhs, 0, true, w.mdz, 0, false, grad.wh, 0, h, g, tbn, invB, 0.0);
        Blas.gemvTrans(w.mdz, 0, tbn, g, w.mones, 0, 1, grad.b, 0, invB, 0.0);
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static INDArrayIndex rows(long from, long to) {
        return NDArrayIndex.interval(from, to);
    }

    private BoundParameters thetaBound;
    private BoundParameters gradBound;

    private BoundParameters bind(BoundParameters cached, INDArray flat) {
        return cached != null && cached.flat == flat ? cached : new BoundParameters(layout, flat);
    }

    private Workspace workspace(SequenceBatch batch) {
        if (batch.inputSize() != spec.inputSize() || batch.outputSize() != spec.outputSize()) {
            throw new IllegalArgumentException("batch has I=" + batch.inputSize() + " O=" + batch.outputSize()
                    + " but the model expects I=" + spec.inputSize() + " O=" + spec.outputSize());
        }
        if (ws == null || !ws.fits(batch)) {
            ws = new Workspace(spec, batch.steps(), batch.batchSize(), batch.supervision());
            kernel = kernels.bind(spec, ws);
        }
        return ws;
    }
}
