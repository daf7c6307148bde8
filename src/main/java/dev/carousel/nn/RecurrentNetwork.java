package dev.carousel.nn;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import java.util.EnumMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
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
 * before the loop. After the time loop dW_x, dW_h and db are one GEMM each over all steps. Every product goes straight to OpenBLAS ({@link Blas}: no ND4J op dispatch in
 * the loop). Every buffer is allocated once per (T, B, loss steps) in a {@link Workspace}; the pointwise gate
 * math of a step is one fused pass over Java arrays (float64: exp-based; float32: float arithmetic that
 * compiles to SIMD code, {@link FloatMath}). Probes other than dwh_step are gathered inside the backward
 * loop; dwh_step uses the Gram identity with two symmetric rank-k updates per step.
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
    private Workspace ws;
    /** Test hook for finite differences of ∂ℓ/∂h_t and ∂ℓ/∂c_t; null in normal use. */
    private StatePerturbation perturbation;

    /** Adds {@code epsilon} to element (b, unit) of h_t (or c_t) right after it is computed. */
    record StatePerturbation(boolean cell, int step, int sequence, int unit, double epsilon) {}

    public RecurrentNetwork(ModelSpec spec) {
        this.spec = spec;
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
     * returns the loss; records probes when asked.
     *
     * @param theta [P]
     * @param grad  [P], overwritten
     */
    public Result lossAndGradient(INDArray theta, SequenceBatch batch, INDArray grad, boolean recordProbes) {
        Workspace w = workspace(batch);
        w.allocateBackward();
        BoundParameters p = thetaBound = bind(thetaBound, theta);
        double[] seqLosses = forward(w, p, batch);
        backward(w, p, gradBound = bind(gradBound, grad), batch, recordProbes);
        w.backwardValid = true;
        ProbeValues probes = recordProbes ? probes(w, batch.supervision()) : null;
        return new Result(mean(seqLosses), seqLosses, probes);
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
            metric = accuracy(w, batch);
            name = "accuracy";
        }
        return new Evaluation(mean(seqLosses), metric, name, batch.batchSize());
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
    private static final int PER_STEP_INPUT_BELOW = 32;

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
        w.loadBias(p.b);
        final long bg = (long) bn * g;
        final long bh = (long) bn * h;
        java.util.Arrays.fill(w.cPrevBlock, 0.0);
        java.util.Arrays.fill(w.cPrevF, 0f);
        for (int t = 0; t < tn; t++) {
            // z_t = x_t·W_x, step by step rather than as one [T·B, I]×[I, G] product: the same kernel on the same
            // K, so the same values, but z_t is still in cache for the recurrent product and the activations.
            if (perStepInput) {
                Blas.gemm(w.mx, t * bi, false, wx, 0, false, w.mz, t * bg, bn, g, in, 1.0, 0.0);
            }
            if (t > 0) { // z_t += h_{t−1}·W_h   ([B, H]×[H, G]; h_{−1} = 0: no recurrent term at t = 0)
                Blas.gemm(w.mhs, t * bh, false, wh, 0, false, w.mz, t * bg, bn, g, h, 1.0, 1.0);
            }
            if (w.single) {
                forwardStepFloat(w, t);
            } else {
                forwardStepDouble(w, t);
            }
        }
        return head(w, p, batch);
    }

    /** The pointwise part of step t in float64: gates, c_t, h_t from z_t (exp-based, exact to a few ulp). */
    private void forwardStepDouble(Workspace w, int t) {
        final int bn = w.b;
        final int h = spec.hidden();
        final int g = spec.gateWidth();
        final int bg = bn * g;
        final int bh = bn * h;
        final double[] zb = w.zBlock;       // [B, G] z_t, then its activations
        final double[] hb = w.hBlock;       // [B, H] h_t
        final double[] cb = w.cBlock;       // [B, H] c_t
        final double[] cPrev = w.cPrevBlock; // [B, H] c_{t−1}
        final double[] tcb = w.tcBlock;     // [B, H] tanh(c_t)
        final double[] bias = w.biasD;      // [G] b
        w.rz.read(t * bg, zb, bg);
        for (int s = 0; s < bn; s++) {
            int zr = s * g;
            for (int u = 0; u < g; u++) {
                zb[zr + u] += bias[u];
            }
        }
        if (lstm) {
            for (int s = 0; s < bn; s++) {
                int zr = s * g;
                int hr = s * h;
                for (int u = 0; u < h; u++) {
                    double i = sigmoid(zb[zr + u]);
                    double f = Double.isNaN(constantForget) ? sigmoid(zb[zr + h + u]) : constantForget;
                    double gg = tanh(zb[zr + 2 * h + u]);
                    zb[zr + u] = i;
                    zb[zr + h + u] = f;
                    zb[zr + 2 * h + u] = gg;
                    zb[zr + 3 * h + u] = sigmoid(zb[zr + 3 * h + u]);
                    // c_t = f ⊙ c_{t−1} + i ⊙ g   (the carousel)
                    cb[hr + u] = f * cPrev[hr + u] + i * gg;
                }
            }
            perturb(cb, true, t);
            // h_t = o ⊙ tanh(c_t); tanh(c_t) is kept for the backward pass.
            for (int s = 0; s < bn; s++) {
                int zr = s * g;
                int hr = s * h;
                for (int u = 0; u < h; u++) {
                    double tc = tanh(cb[hr + u]);
                    tcb[hr + u] = tc;
                    hb[hr + u] = zb[zr + 3 * h + u] * tc;
                }
            }
            w.rcs.write((t + 1) * bh, cb, bh);
            w.rtc.write(t * bh, tcb, bh);
            // The next step continues from c_t as stored, which is also what the backward pass reads.
            System.arraycopy(cb, 0, cPrev, 0, bh);
        } else {
            for (int k = 0; k < bh; k++) {
                zb[k] = tanh(zb[k]);
                hb[k] = zb[k];
            }
        }
        perturb(hb, false, t);
        w.rz.write(t * bg, zb, bg);
        w.rhs.write((t + 1) * bh, hb, bh);
    }

    /**
     * The pointwise part of step t in float32: the same math in float arithmetic. The [B, G] block is first
     * split into one [B·H] array per gate, so that every loop below runs over plain arrays at one common
     * index with at most four streams: the shape HotSpot's C2 turns into SIMD code ({@link FloatMath}).
     */
    private void forwardStepFloat(Workspace w, int t) {
        final int bn = w.b;
        final int h = spec.hidden();
        final int g = spec.gateWidth();
        final int bg = bn * g;
        final int bh = bn * h;
        final float[] hb = w.hF;        // [B·H] h_t
        final float[] cb = w.cF;        // [B·H] c_t
        final float[] cPrev = w.cPrevF; // [B·H] c_{t−1}
        final float[] tcb = w.tcF;      // [B·H] tanh(c_t)
        if (lstm) {
            final float[] gi = w.gateF[0];
            final float[] gf = w.gateF[1];
            final float[] gg = w.gateF[2];
            final float[] go = w.gateF[3];
            w.readGates(w.rz, t * bg, w.gateF); // z_t straight into the per-gate arrays
            FloatMath.sigmoidBiased(gi, w.biasF[0], bh);
            if (Double.isNaN(constantForget)) {
                FloatMath.sigmoidBiased(gf, w.biasF[1], bh);
            } else {
                java.util.Arrays.fill(gf, (float) constantForget);
            }
            FloatMath.tanhBiased(gg, w.biasF[2], bh);
            FloatMath.sigmoidBiased(go, w.biasF[3], bh);
            for (int k = 0; k < bh; k++) { // c_t = f ⊙ c_{t−1} + i ⊙ g   (the carousel)
                cb[k] = gf[k] * cPrev[k];
            }
            for (int k = 0; k < bh; k++) {
                cb[k] += gi[k] * gg[k];
            }
            perturb(cb, true, t);
            for (int k = 0; k < bh; k++) { // h_t = o ⊙ tanh(c_t); tanh(c_t) is kept for the backward pass
                tcb[k] = FloatMath.tanh(cb[k]);
            }
            for (int k = 0; k < bh; k++) {
                hb[k] = go[k] * tcb[k];
            }
            perturb(hb, false, t);
            w.writeGates(w.rz, t * bg, w.gateF);
            w.rcs.writeFloats((t + 1) * bh, cb, bh);
            w.rtc.writeFloats(t * bh, tcb, bh);
            w.cF = cPrev; // c_t becomes the next step's c_{t−1}: swap the arrays instead of copying
            w.cPrevF = cb;
        } else {
            final float[] zb = w.zF; // [B, G] = [B·H] z_t, then its activations
            w.rz.readFloats(t * bg, zb, bg);
            FloatMath.tanhBiased(zb, w.biasF[0], bh);
            System.arraycopy(zb, 0, hb, 0, bh);
            perturb(hb, false, t);
            w.rz.writeFloats(t * bg, zb, bg);
        }
        w.rhs.writeFloats((t + 1) * bh, hb, bh);
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /** tanh through one exp (Math.tanh is markedly slower); exact to a few ulp, saturating correctly. */
    private static double tanh(double x) {
        if (x > 20) {
            return 1.0;
        }
        if (x < -20) {
            return -1.0;
        }
        double e = Math.exp(2 * x);
        return (e - 1) / (e + 1);
    }

    /** Package-private, for finite-difference tests of the state gradients only. */
    void setPerturbation(StatePerturbation p) {
        this.perturbation = p;
    }

    /** Adds the test perturbation to element (sequence, unit) of the step's [B, H] block, if it targets it. */
    private void perturb(double[] block, boolean cell, int t) {
        StatePerturbation p = perturbation;
        if (p != null && p.cell() == cell && p.step() == t) {
            block[p.sequence() * spec.hidden() + p.unit()] += p.epsilon();
        }
    }

    private void perturb(float[] block, boolean cell, int t) {
        StatePerturbation p = perturbation;
        if (p != null && p.cell() == cell && p.step() == t) {
            block[p.sequence() * spec.hidden() + p.unit()] += (float) p.epsilon();
        }
    }

    /** y = h·W_y + b_y at the loss steps; per-sequence losses; ∂ℓ_b/∂y into w.dy. */
    private double[] head(Workspace w, BoundParameters p, SequenceBatch batch) {
        int[] steps = batch.supervision().steps();
        int b = w.b;
        int o = spec.outputSize();
        int h = spec.hidden();
        if (!w.everyStep) {
            for (int k = 0; k < steps.length; k++) { // h at the loss steps → the rows of h_P
                w.copy(w.rhs, (steps[k] + 1) * b * h, w.rhp, k * b * h, b * h);
            }
        }
        Blas.gemm(w.mhp, w.hpOffset, false, p.wy, 0, false, w.myhat, 0, steps.length * b, o, h, 1.0, 0.0);
        RawTensor y = w.ryhat;
        p.by.read(0, w.byBlock, o);
        for (int r = 0; r < steps.length * b; r++) { // + b_y on every row
            for (int j = 0; j < o; j++) {
                y.set(r * o + j, y.get(r * o + j) + w.byBlock[j]);
            }
        }

        RawTensor dy = w.rdy;
        double[] targets = batch.targets();
        double[] seq = new double[b];
        double perStep = 1.0 / steps.length;
        LossKind kind = batch.supervision().kind();
        for (int k = 0; k < steps.length; k++) {
            for (int s = 0; s < b; s++) {
                int row = (k * b + s) * o;
                int trow = (steps[k] * b + s) * o;
                double loss = 0;
                if (kind == LossKind.MSE) {
                    for (int j = 0; j < o; j++) {
                        double d = y.get(row + j) - targets[trow + j];
                        loss += d * d / o;
                        dy.set(row + j, perStep * 2.0 * d / o);
                    }
                } else {
                    double max = Double.NEGATIVE_INFINITY;
                    double mass = 0;
                    for (int j = 0; j < o; j++) {
                        max = Math.max(max, y.get(row + j));
                        mass += targets[trow + j];
                    }
                    double sum = 0;
                    for (int j = 0; j < o; j++) {
                        sum += Math.exp(y.get(row + j) - max);
                    }
                    double lse = max + Math.log(sum);
                    for (int j = 0; j < o; j++) {
                        double target = targets[trow + j];
                        double logp = y.get(row + j) - lse;
                        if (target != 0) {
                            loss -= target * logp;
                        }
                        // ∂/∂y of −Σ target·log softmax(y) = softmax(y)·Σ target − target
                        dy.set(row + j, perStep * (Math.exp(logp) * mass - target));
                    }
                }
                seq[s] += perStep * loss;
            }
        }
        return seq;
    }

    private double accuracy(Workspace w, SequenceBatch batch) {
        int[] steps = batch.supervision().steps();
        int o = spec.outputSize();
        RawTensor y = w.ryhat;
        double[] targets = batch.targets();
        long correct = 0;
        for (int k = 0; k < steps.length; k++) {
            for (int s = 0; s < w.b; s++) {
                int row = (k * w.b + s) * o;
                int trow = (steps[k] * w.b + s) * o;
                int best = 0;
                int truth = 0;
                for (int j = 1; j < o; j++) {
                    if (y.get(row + j) > y.get(row + best)) {
                        best = j;
                    }
                    if (targets[trow + j] > targets[trow + truth]) {
                        truth = j;
                    }
                }
                if (best == truth) {
                    correct++;
                }
            }
        }
        return (double) correct / ((long) steps.length * w.b);
    }

    // ---------------------------------------------------------------------------------------------
    // backward

    private void backward(Workspace w, BoundParameters p, BoundParameters grad, SequenceBatch batch, boolean recordProbes) {
        final int tn = w.t;
        final int bn = w.b;
        final int h = spec.hidden();
        final int g = spec.gateWidth();
        final double invB = 1.0 / bn;
        // Head: dW_y = h_Pᵀ·dy / B, db_y = Σ dy / B, and ∂ℓ_b/∂h at the loss steps = dy·W_yᵀ.
        final int o = spec.outputSize();
        final int[] steps = batch.supervision().steps();
        final int pb = steps.length * bn;
        Blas.gemm(w.mhp, w.hpOffset, true, w.mdy, 0, false, grad.wy, 0, h, o, pb, invB, 0.0);
        Blas.gemm(w.monesP, 0, true, w.mdy, 0, false, grad.by, 0, 1, o, pb, invB, 0.0);
        if (w.everyStep) {
            Blas.gemm(w.mdy, 0, false, p.wy, 0, true, w.mdh, 0, pb, h, o, 1.0, 0.0);
        } else {
            w.clear(w.rdh, tn * bn * h);
            Blas.gemm(w.mdy, 0, false, p.wy, 0, true, w.mdhp, 0, pb, h, o, 1.0, 0.0);
            for (int k = 0; k < steps.length; k++) { // ∂ℓ/∂h at the loss steps → their rows of δh
                w.copy(w.rdhp, k * bn * h, w.rdh, steps[k] * bn * h, bn * h);
            }
        }
        StepProbes probes = recordProbes ? w.probes.reset() : null;
        Blas.Matrix wh = p.wh;
        final long bg = (long) bn * g;
        final long bh = (long) bn * h;
        for (int t = tn - 1; t >= 0; t--) {
            if (t < tn - 1) { // δh_t += δz_{t+1}·W_hᵀ   ([B, G]×[G, H])
                Blas.gemm(w.mdz, (t + 1) * bg, false, wh, 0, true, w.mdh, t * bh, bn, h, g, 1.0, 1.0);
            }
            if (w.single) {
                backwardStepFloat(w, t, probes);
            } else {
                backwardStepDouble(w, t, probes);
            }
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

    /** δc_t, δz_t of step t in float64 from δh_t (already complete in w.dh), gates, c_{t−1}, tanh(c_t). */
    private void backwardStepDouble(Workspace w, int t, StepProbes probes) {
        final int tn = w.t;
        final int bn = w.b;
        final int h = spec.hidden();
        final int g = spec.gateWidth();
        final boolean learnedForget = Double.isNaN(constantForget);
        final int bg = bn * g;
        final int bh = bn * h;
        final double[] zb = w.zBlock;        // [B, G] activations of step t
        final double[] dhb = w.hBlock;       // [B, H] δh_t
        final double[] tcb = w.tcBlock;      // [B, H] tanh(c_t)
        final double[] cPrev = w.cPrevBlock; // [B, H] c_{t−1}
        final double[] dcb = w.cBlock;       // [B, H] δc_t
        final double[] dcNext = w.dcNextBlock; // [B, H] δc_{t+1}
        final double[] fNext = w.fNextBlock; // [B, H] f_{t+1}
        final double[] dzb = w.dzBlock;      // [B, G] δz_t
        w.rdh.read(t * bh, dhb, bh);
        w.rz.read(t * bg, zb, bg);
        if (lstm) {
            w.rtc.read(t * bh, tcb, bh);
            w.rcs.read(t * bh, cPrev, bh);
            boolean last = t == tn - 1;
            for (int s = 0; s < bn; s++) {
                int zr = s * g;
                int hr = s * h;
                for (int u = 0; u < h; u++) {
                    double dhv = dhb[hr + u];
                    double tc = tcb[hr + u];
                    double i = zb[zr + u];
                    double f = zb[zr + h + u];
                    double gg = zb[zr + 2 * h + u];
                    double o = zb[zr + 3 * h + u];
                    // δc_t = δh_t ⊙ o_t ⊙ (1 − tanh² c_t) + δc_{t+1} ⊙ f_{t+1}: the second term is the
                    // carousel, the only path back in time with no squashing derivative.
                    double dcv = dhv * o * (1 - tc * tc);
                    if (!last) {
                        dcv += dcNext[hr + u] * fNext[hr + u];
                    }
                    dcb[hr + u] = dcv;
                    dzb[zr + u] = dcv * gg * i * (1 - i);                            // δi
                    dzb[zr + h + u] = learnedForget                                  // δf (a constant gate has
                            ? dcv * cPrev[hr + u] * f * (1 - f) : 0.0;                //   no parameters to train)
                    dzb[zr + 2 * h + u] = dcv * i * (1 - gg * gg);                    // δg
                    dzb[zr + 3 * h + u] = dhv * tc * o * (1 - o);                     // δo
                    fNext[hr + u] = f;
                }
            }
            w.rdc.write(t * bh, dcb, bh);
            System.arraycopy(dcb, 0, dcNext, 0, bh);
        } else {
            for (int k = 0; k < bh; k++) {
                dzb[k] = dhb[k] * (1 - zb[k] * zb[k]); // δz = δh ⊙ (1 − h²)
            }
        }
        w.rdz.write(t * bg, dzb, bg);
        if (probes != null) {
            for (int s = 0; s < bn; s++) {
                int hr = s * h;
                double sq = 0;
                for (int u = 0; u < h; u++) {
                    sq += dhb[hr + u] * dhb[hr + u];
                }
                probes.dh[s * tn + t] = 0.5 * Math.log10(sq);
                if (lstm) {
                    double sc = 0;
                    for (int u = 0; u < h; u++) {
                        sc += dcb[hr + u] * dcb[hr + u];
                    }
                    probes.dc[s * tn + t] = 0.5 * Math.log10(sc);
                    int fr = s * g + h;
                    probes.pathGainOutput(s, t);
                    double fsum = 0;
                    double[] prod = probes.product;
                    for (int u = 0; u < h; u++) {
                        double f = zb[fr + u];
                        fsum += f;
                        prod[hr + u] *= f;
                    }
                    probes.forget[s * tn + t] = fsum / h;
                }
            }
        }
    }

    /**
     * The float32 counterpart of {@link #backwardStepDouble}: per-gate arrays and short loops of at most four
     * streams, as in {@link #forwardStepFloat}; probes summed in double.
     */
    private void backwardStepFloat(Workspace w, int t, StepProbes probes) {
        final int tn = w.t;
        final int bn = w.b;
        final int h = spec.hidden();
        final int g = spec.gateWidth();
        final int bg = bn * g;
        final int bh = bn * h;
        final float[] dhb = w.hF;         // [B·H] δh_t
        final float[] tcb = w.tcF;        // [B·H] tanh(c_t)
        final float[] cPrev = w.cPrevF;   // [B·H] c_{t−1}
        final float[] dcb = w.cF;         // [B·H] δc_t
        final float[] dcNext = w.dcNextF; // [B·H] δc_{t+1}
        final float[] fNext = w.fNextF;   // [B·H] f_{t+1}
        w.rdh.readFloats(t * bh, dhb, bh);
        if (lstm) {
            final float[] gi = w.gateF[0];
            final float[] gf = w.gateF[1];
            final float[] gg = w.gateF[2];
            final float[] go = w.gateF[3];
            final float[] di = w.dGateF[0];
            final float[] df = w.dGateF[1];
            final float[] dg = w.dGateF[2];
            final float[] dO = w.dGateF[3];
            w.readGates(w.rz, t * bg, w.gateF); // activations of step t straight into the per-gate arrays
            w.rtc.readFloats(t * bh, tcb, bh);
            if (Double.isNaN(constantForget)) { // c_{t−1} is only needed for δf
                w.rcs.readFloats(t * bh, cPrev, bh);
            }
            // δc_t = δh_t ⊙ o_t ⊙ (1 − tanh² c_t) + δc_{t+1} ⊙ f_{t+1}: the second term is the carousel.
            for (int k = 0; k < bh; k++) {
                dcb[k] = dhb[k] * go[k] * (1 - tcb[k] * tcb[k]);
            }
            if (t < tn - 1) {
                for (int k = 0; k < bh; k++) {
                    dcb[k] += dcNext[k] * fNext[k];
                }
            }
            for (int k = 0; k < bh; k++) {
                di[k] = dcb[k] * gg[k] * gi[k] * (1 - gi[k]);           // δi
            }
            if (Double.isNaN(constantForget)) {
                for (int k = 0; k < bh; k++) {
                    df[k] = dcb[k] * cPrev[k] * gf[k] * (1 - gf[k]);    // δf
                }
            } else {
                java.util.Arrays.fill(df, 0f); // a constant gate has no parameters to train
            }
            for (int k = 0; k < bh; k++) {
                dg[k] = dcb[k] * gi[k] * (1 - gg[k] * gg[k]);           // δg
            }
            for (int k = 0; k < bh; k++) {
                dO[k] = dhb[k] * tcb[k] * go[k] * (1 - go[k]);          // δo
            }
            w.rdc.writeFloats(t * bh, dcb, bh);
            w.writeGates(w.rdz, t * bg, w.dGateF);
        } else {
            final float[] zb = w.zF; // [B·H] activations of step t, then δz_t
            w.rz.readFloats(t * bg, zb, bg);
            for (int k = 0; k < bh; k++) {
                zb[k] = dhb[k] * (1 - zb[k] * zb[k]); // δz = δh ⊙ (1 − h²)
            }
            w.rdz.writeFloats(t * bg, zb, bg);
        }
        if (probes != null) {
            if (!lstm) {
                for (int s = 0; s < bn; s++) {
                    int hr = s * h;
                    double sq = 0;
                    for (int u = 0; u < h; u++) { // squares in double: the exact norm of the stored values
                        double v = dhb[hr + u];
                        sq += v * v;
                    }
                    probes.dh[s * tn + t] = 0.5 * Math.log10(sq);
                }
            } else {
                double[] prod = probes.product;
                float[] gf = w.gateF[1];
                for (int s = 0; s < bn; s++) {
                    int hr = s * h;
                    // Three independent sums in one loop, each in the same order as on its own (so the same
                    // values): the chains of dependent adds overlap instead of running one after another.
                    double sq = 0;
                    double sc = 0;
                    double psum = 0;
                    for (int u = 0; u < h; u++) { // squares in double: the exact norm of the stored values
                        double v = dhb[hr + u];
                        sq += v * v;
                        double vc = dcb[hr + u];
                        sc += vc * vc;
                        psum += prod[hr + u];
                    }
                    probes.dh[s * tn + t] = 0.5 * Math.log10(sq);
                    probes.dc[s * tn + t] = 0.5 * Math.log10(sc);
                    probes.pathGainOutput(s, t, psum);
                    double fsum = 0;
                    for (int u = 0; u < h; u++) {
                        double f = gf[hr + u];
                        fsum += f;
                        prod[hr + u] *= f;
                    }
                    probes.forget[s * tn + t] = fsum / h;
                }
            }
        }
        if (lstm) { // δc_t and f_t become the next (earlier) step's δc_{t+1} and f_{t+1}: swap, don't copy
            w.dcNextF = dcb;
            w.cF = dcNext;
            w.fNextF = w.gateF[1];
            w.gateF[1] = fNext;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // probes

    /**
     * Per-sequence probes gathered inside the backward loop, while each step's blocks are in Java arrays:
     * no second pass over [T·B, ·] tensors. All [B, T] (index b·T + t).
     */
    static final class StepProbes {
        final int t;
        final int b;
        final int h;
        double[] dh;
        double[] dc;
        double[] forget;
        double[] pathGain;
        /**
         * Per (sequence, unit): ∏_{k=t+1..T−1} f_k divided by e^{logScale[b]}. The product runs backwards in
         * time; whenever a sequence's mean over units falls below 1e-200 its row is rescaled and the factor
         * moved into logScale, so a gain like 0.5^399 stays exact where the product itself would underflow
         * (docs/science.md, pitfalls). Equivalent to a log-sum of f and a log-mean-exp over units, with one
         * multiply per element instead of a log and an exp.
         */
        final double[] product;
        final double[] logScale;

        StepProbes(int t, int b, int h) {
            this.t = t;
            this.b = b;
            this.h = h;
            this.product = new double[b * h];
            this.logScale = new double[b];
        }

        StepProbes reset() {
            dh = new double[b * t];
            dc = new double[b * t];
            forget = new double[b * t];
            pathGain = new double[b * t];
            java.util.Arrays.fill(product, 1.0);
            java.util.Arrays.fill(logScale, 0.0);
            return this;
        }

        /** path_gain(s, t) = log10 mean_u ∏_{k=t+1..T−1} f_k, from the product so far (before f_t joins it). */
        void pathGainOutput(int s, int step) {
            double sum = 0;
            int r = s * h;
            for (int u = 0; u < h; u++) {
                sum += product[r + u];
            }
            pathGainOutput(s, step, sum);
        }

        /** As {@link #pathGainOutput(int, int)}, given {@code sum} = Σ_u product[s·H + u] summed in u order. */
        void pathGainOutput(int s, int step, double sum) {
            int r = s * h;
            double mean = sum / h;
            pathGain[s * t + step] = (logScale[s] + Math.log(mean)) / LN10;
            if (mean < 1e-200 && mean > 0) {
                double inv = 1.0 / mean;
                for (int u = 0; u < h; u++) {
                    product[r + u] *= inv;
                }
                logScale[s] += Math.log(mean);
            }
        }
    }

    private static final double LN10 = Math.log(10);

    private ProbeValues probes(Workspace w, Supervision supervision) {
        Map<Probe, double[]> values = new EnumMap<>(Probe.class);
        StepProbes sp = w.probes;
        values.put(Probe.DH, sp.dh);
        if (lstm) {
            values.put(Probe.DC, sp.dc);
            values.put(Probe.FORGET, sp.forget);
            values.put(Probe.PATH_GAIN, sp.pathGain);
        }
        values.put(Probe.DWH_STEP, dwhStep(w));

        return new ProbeValues(w.b, w.t, supervision.lastStep(), values);
    }

    /**
     * log10 ‖h_{t−1}ᵀ δz_t‖_F by the Gram identity ‖AᵀD‖²_F = Σ (AAᵀ ∘ DDᵀ), without forming [H, G]: two
     * symmetric rank-k updates (upper triangles only) of B² (H + G) multiply-adds per step, against B·H·G to
     * form the product.
     */
    private double[] dwhStep(Workspace w) {
        double[] out = new double[w.t];
        int bn = w.b;
        int h = spec.hidden();
        int g = spec.gateWidth();
        double[] ga = w.gramABlock;
        double[] gd = w.gramDBlock;
        for (int t = 0; t < w.t; t++) {
            Blas.gramUpper(w.mhs, (long) t * bn * h, w.mgramA, bn, h);
            Blas.gramUpper(w.mdz, (long) t * bn * g, w.mgramD, bn, g);
            w.rgramA.read(0, ga, bn * bn);
            w.rgramD.read(0, gd, bn * bn);
            double diag = 0;
            double off = 0;
            for (int i = 0; i < bn; i++) {
                int r = i * bn;
                diag += ga[r + i] * gd[r + i];
                for (int j = i + 1; j < bn; j++) {
                    off += ga[r + j] * gd[r + j];
                }
            }
            double sq = diag + 2 * off;
            // Rounding can leave a tiny negative sum where the true value is ~0.
            out[t] = 0.5 * Math.log10(Math.max(sq, 0.0));
        }
        return out;
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

    /**
     * Bytes of off-heap memory this network's workspace holds now (0 before its first pass): what
     * {@link MemoryEstimate#workspaceBytes} predicts, checked by the tests.
     */
    long workspaceBytes() {
        if (ws == null) {
            return 0;
        }
        long elements = 0;
        for (INDArray a : new INDArray[] {ws.x, ws.z, ws.hs, ws.cs, ws.tc, ws.hp, ws.yhat, ws.dy, ws.dhp, ws.dh, ws.dc,
                ws.dz, ws.ones, ws.onesP, ws.gramA, ws.gramD}) {
            elements += a == null ? 0 : a.length();
        }
        return elements * spec.precision().dataType().width();
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
        }
        return ws;
    }
}
