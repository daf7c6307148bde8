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
 * probes of DESIGN.md §1, all on one model. Shape legend for this file:
 *
 * <pre>
 *   T steps, B sequences, I inputs, H hidden, G = 4H (LSTM: gates i|f|g|o) or H (RNN), O outputs,
 *   P = number of loss steps.  Time-major rows: row t·B + b holds sequence b at step t.
 * </pre>
 *
 * <p>The input projection x·W_x of all T steps is one [T·B, I]×[I, G] GEMM, and after the time loop
 * dW_x, dW_h and db are one GEMM each over all steps; only the recurrent products h_{t−1}·W_h and
 * δz_{t+1}·W_hᵀ are per step. Every buffer and every per-step view is allocated once per (T, B) in a
 * {@link Workspace}, and the time loops use in-place ND4J ops into those views.
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
        Parameters p = new Parameters(layout, theta);
        double[] seqLosses = forward(w, p, batch);
        backward(w, p, new Parameters(layout, grad), batch);
        w.backwardValid = true;
        ProbeValues probes = recordProbes ? probes(w, batch.supervision()) : null;
        return new Result(mean(seqLosses), seqLosses, probes);
    }

    /** Forward only: loss and task metric. */
    public Evaluation evaluate(INDArray theta, SequenceBatch batch) {
        Workspace w = workspace(batch);
        double[] seqLosses = forward(w, new Parameters(layout, theta), batch);
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

    /** Runs the forward pass into the workspace; returns ℓ_b per sequence and leaves ∂ℓ_b/∂y in w.dy. */
    private double[] forward(Workspace w, Parameters p, SequenceBatch batch) {
        final int tn = w.t;
        final int bn = w.b;
        final int h = spec.hidden();
        final int g = spec.gateWidth();
        double[] inputs = batch.inputs();
        for (int k = 0; k < inputs.length; k++) {
            w.rx.set(k, inputs[k]);
        }
        // z = x·W_x + b for all steps at once; the recurrent term is added per step below.
        Nd4j.gemm(w.x, p.wx, w.z, false, false, 1.0, 0.0);
        w.z.addiRowVector(p.b);
        final int bg = bn * g;
        final int bh = bn * h;
        final double[] zb = w.zBlock;       // [B, G] z_t, then its activations
        final double[] hb = w.hBlock;       // [B, H] h_t
        final double[] cb = w.cBlock;       // [B, H] c_t
        final double[] cPrev = w.cPrevBlock; // [B, H] c_{t−1}
        final double[] tcb = w.tcBlock;     // [B, H] tanh(c_t)
        java.util.Arrays.fill(cPrev, 0.0);
        for (int t = 0; t < tn; t++) {
            if (t > 0) { // h_{−1} = 0: no recurrent term at t = 0
                Nd4j.gemm(w.hPrev[t], p.wh, w.zT[t], false, false, 1.0, 1.0);
            }
            w.rz.read(t * bg, zb, bg);
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
                // The next step continues from c_t as stored (rounded to the engine precision), which is
                // also what the backward pass reads.
                w.rcs.read((t + 1) * bh, cPrev, bh);
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
        return head(w, p, batch);
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

    /** y = h·W_y + b_y at the loss steps; per-sequence losses; ∂ℓ_b/∂y into w.dy. */
    private double[] head(Workspace w, Parameters p, SequenceBatch batch) {
        int[] steps = batch.supervision().steps();
        if (!w.everyStep) {
            for (int k = 0; k < steps.length; k++) {
                w.hpK[k].assign(w.hT[steps[k]]);
            }
        }
        Nd4j.gemm(w.hp, p.wy, w.yhat, false, false, 1.0, 0.0);
        w.yhat.addiRowVector(p.by);

        int b = w.b;
        int o = spec.outputSize();
        RawTensor y = w.ryhat;
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

    private void backward(Workspace w, Parameters p, Parameters grad, SequenceBatch batch) {
        final int tn = w.t;
        final int bn = w.b;
        final int h = spec.hidden();
        final int g = spec.gateWidth();
        final double invB = 1.0 / bn;
        // Head: dW_y = h_Pᵀ·dy / B, db_y = Σ dy / B, and ∂ℓ_b/∂h at the loss steps = dy·W_yᵀ.
        Nd4j.gemm(w.hp, w.dy, grad.wy, true, false, invB, 0.0);
        Nd4j.gemm(w.onesP, w.dy, grad.by, true, false, invB, 0.0);
        if (w.everyStep) {
            Nd4j.gemm(w.dy, p.wy, w.dh, false, true, 1.0, 0.0);
        } else {
            w.dh.assign(0);
            Nd4j.gemm(w.dy, p.wy, w.dhp, false, true, 1.0, 0.0);
            int[] steps = batch.supervision().steps();
            for (int k = 0; k < steps.length; k++) {
                w.dhT[steps[k]].assign(w.dhpK[k]);
            }
        }
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
        for (int t = tn - 1; t >= 0; t--) {
            if (t < tn - 1) { // δh_t += δz_{t+1}·W_hᵀ
                Nd4j.gemm(w.dzT[t + 1], p.wh, w.dhT[t], false, true, 1.0, 1.0);
            }
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
        }
        // One GEMM each over all steps: dW_x = xᵀ·δz, dW_h = h_{t−1}ᵀ·δz, db = 1ᵀ·δz (all / B).
        Nd4j.gemm(w.x, w.dz, grad.wx, true, false, invB, 0.0);
        Nd4j.gemm(w.hPrevAll, w.dz, grad.wh, true, false, invB, 0.0);
        Nd4j.gemm(w.ones, w.dz, grad.b, true, false, invB, 0.0);
    }

    // ---------------------------------------------------------------------------------------------
    // probes

    private ProbeValues probes(Workspace w, Supervision supervision) {
        Map<Probe, double[]> values = new EnumMap<>(Probe.class);
        int h = spec.hidden();
        values.put(Probe.DH, rowLog10Norms(w, w.rdh, h, 0, h));
        if (lstm) {
            values.put(Probe.DC, rowLog10Norms(w, w.rdc, h, 0, h));
            values.put(Probe.FORGET, forgetMeans(w));
            values.put(Probe.PATH_GAIN, pathGain(w));
        }
        values.put(Probe.DWH_STEP, dwhStep(w));
        return new ProbeValues(w.b, w.t, supervision.lastStep(), values);
    }

    /** log10 ‖row‖₂ over columns [from, to) of a time-major [T·B, width] tensor, as [B, T]. */
    private static double[] rowLog10Norms(Workspace w, RawTensor a, int width, int from, int to) {
        double[] out = new double[w.b * w.t];
        for (int t = 0; t < w.t; t++) {
            for (int s = 0; s < w.b; s++) {
                int base = (t * w.b + s) * width;
                double sq = 0;
                for (int u = from; u < to; u++) {
                    double v = a.get(base + u);
                    sq += v * v;
                }
                out[s * w.t + t] = 0.5 * Math.log10(sq);
            }
        }
        return out;
    }

    /** Mean over units of f_t, as [B, T]. */
    private double[] forgetMeans(Workspace w) {
        int h = spec.hidden();
        int g = spec.gateWidth();
        double[] out = new double[w.b * w.t];
        for (int t = 0; t < w.t; t++) {
            for (int s = 0; s < w.b; s++) {
                int base = (t * w.b + s) * g + h;
                double sum = 0;
                for (int u = 0; u < h; u++) {
                    sum += w.rz.get(base + u);
                }
                out[s * w.t + t] = sum / h;
            }
        }
        return out;
    }

    /**
     * log10 of mean_u ∏_{k=t+1..T−1} f_k, as [B, T]: the product is a sum of log f accumulated backwards
     * in time and the mean over units a log-mean-exp, so a gain like 0.5^200 stays exact where the
     * product itself would underflow float32 (SCIENCE.md, pitfalls).
     */
    private double[] pathGain(Workspace w) {
        int h = spec.hidden();
        int g = spec.gateWidth();
        double[] out = new double[w.b * w.t];
        double[] logProduct = new double[w.b * h]; // Σ_{k=t+1..T−1} log f_k, per (sequence, unit)
        double ln10 = Math.log(10);
        for (int t = w.t - 1; t >= 0; t--) {
            for (int s = 0; s < w.b; s++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int u = 0; u < h; u++) {
                    max = Math.max(max, logProduct[s * h + u]);
                }
                double sum = 0;
                for (int u = 0; u < h; u++) {
                    sum += Math.exp(logProduct[s * h + u] - max);
                }
                out[s * w.t + t] = (max + Math.log(sum / h)) / ln10;
                int base = (t * w.b + s) * g + h;
                for (int u = 0; u < h; u++) {
                    logProduct[s * h + u] += Math.log(w.rz.get(base + u));
                }
            }
        }
        return out;
    }

    /** log10 ‖h_{t−1}ᵀ δz_t‖_F by the Gram identity ‖AᵀD‖²_F = Σ (AAᵀ ∘ DDᵀ), without forming [H, G]. */
    private double[] dwhStep(Workspace w) {
        double[] out = new double[w.t];
        int n = w.b * w.b;
        for (int t = 0; t < w.t; t++) {
            Nd4j.gemm(w.hPrev[t], w.hPrev[t], w.gramA, false, true, 1.0, 0.0);
            Nd4j.gemm(w.dzT[t], w.dzT[t], w.gramD, false, true, 1.0, 0.0);
            double sq = 0;
            for (int k = 0; k < n; k++) {
                sq += w.rgramA.get(k) * w.rgramD.get(k);
            }
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

    // ---------------------------------------------------------------------------------------------
    // workspace

    private Workspace workspace(SequenceBatch batch) {
        if (batch.inputSize() != spec.inputSize() || batch.outputSize() != spec.outputSize()) {
            throw new IllegalArgumentException("batch has I=" + batch.inputSize() + " O=" + batch.outputSize()
                    + " but the model expects I=" + spec.inputSize() + " O=" + spec.outputSize());
        }
        if (ws == null || !ws.fits(batch)) {
            ws = new Workspace(batch.steps(), batch.batchSize(), batch.supervision());
        }
        return ws;
    }

    /** Buffers and per-step views for one (T, B, loss steps). */
    private final class Workspace {
        final int t;
        final int b;
        final Supervision supervision;
        final boolean everyStep;
        boolean backwardValid;

        final INDArray x;        // [T·B, I]
        final INDArray z;        // [T·B, G] pre-activations, then activations (i|f|g|o)
        final INDArray hs;       // [(T+1)·B, H] rows 0..B−1 are h_{−1} = 0, rows (t+1)·B.. are h_t
        final INDArray cs;       // [(T+1)·B, H] likewise for c (LSTM)
        final INDArray tc;       // [T·B, H] tanh(c_t) (LSTM)
        final INDArray hPrevAll; // [T·B, H] view: h_{t−1} for every t
        final INDArray hp;       // [P·B, H] h at the loss steps (a view of hs when every step has a loss)
        final INDArray yhat;     // [P·B, O]
        final INDArray dy;       // [P·B, O] ∂ℓ_b/∂y
        final INDArray dhp;      // [P·B, H] ∂ℓ_b/∂h from the head (unused when every step has a loss)
        final INDArray dh;       // [T·B, H]
        final INDArray dc;       // [T·B, H] (LSTM)
        final INDArray dz;       // [T·B, G]
        final INDArray ones;     // [T·B, 1]
        final INDArray onesP;    // [P·B, 1]
        final INDArray gramA;    // [B, B]
        final INDArray gramD;    // [B, B]
        final RawTensor rx, rz, rhs, rcs, rtc, ryhat, rdy, rdh, rdc, rdz, rgramA, rgramD;
        /** One step's blocks as Java arrays for the fused pointwise loops: [B, G] or [B, H]. */
        final double[] zBlock, dzBlock, hBlock, cBlock, cPrevBlock, tcBlock, dcNextBlock, fNextBlock;

        final INDArray[] zT, hPrev, hT, dhT, dzT; // per-step [B, ·] views for the per-step GEMMs
        final INDArray[] hpK, dhpK;

        Workspace(int t, int b, Supervision supervision) {
            this.t = t;
            this.b = b;
            this.supervision = supervision;
            int[] steps = supervision.steps();
            int p = steps.length;
            this.everyStep = p == t;
            DataType dt = spec.precision().dataType();
            int h = spec.hidden();
            int g = spec.gateWidth();
            long tb = (long) t * b;

            x = Nd4j.create(dt, tb, spec.inputSize());
            z = Nd4j.create(dt, tb, g);
            hs = Nd4j.create(dt, tb + b, h);
            cs = lstm ? Nd4j.create(dt, tb + b, h) : null;
            tc = lstm ? Nd4j.create(dt, tb, h) : null;
            hPrevAll = hs.get(rows(0, tb), NDArrayIndex.all());
            hp = everyStep ? hs.get(rows(b, tb + b), NDArrayIndex.all()) : Nd4j.create(dt, (long) p * b, h);
            yhat = Nd4j.create(dt, (long) p * b, spec.outputSize());
            dy = Nd4j.create(dt, (long) p * b, spec.outputSize());
            dhp = everyStep ? null : Nd4j.create(dt, (long) p * b, h);
            dh = Nd4j.create(dt, tb, h);
            dc = lstm ? Nd4j.create(dt, tb, h) : null;
            dz = Nd4j.create(dt, tb, g);
            ones = Nd4j.ones(dt, tb, 1);
            onesP = Nd4j.ones(dt, (long) p * b, 1);
            gramA = Nd4j.create(dt, b, b);
            gramD = Nd4j.create(dt, b, b);
            rx = RawTensor.of(x);
            rz = RawTensor.of(z);
            rhs = RawTensor.of(hs);
            rcs = lstm ? RawTensor.of(cs) : null;
            rtc = lstm ? RawTensor.of(tc) : null;
            ryhat = RawTensor.of(yhat);
            rdy = RawTensor.of(dy);
            rdh = RawTensor.of(dh);
            rdc = lstm ? RawTensor.of(dc) : null;
            rdz = RawTensor.of(dz);
            rgramA = RawTensor.of(gramA);
            rgramD = RawTensor.of(gramD);
            zBlock = new double[b * g];
            dzBlock = new double[b * g];
            hBlock = new double[b * h];
            cBlock = new double[b * h];
            cPrevBlock = new double[b * h];
            tcBlock = new double[b * h];
            dcNextBlock = new double[b * h];
            fNextBlock = new double[b * h];

            zT = new INDArray[t];
            hPrev = new INDArray[t];
            hT = new INDArray[t];
            dhT = new INDArray[t];
            dzT = new INDArray[t];
            for (int s = 0; s < t; s++) {
                long r0 = (long) s * b;
                long r1 = r0 + b;
                zT[s] = z.get(rows(r0, r1), NDArrayIndex.all());
                hPrev[s] = hs.get(rows(r0, r1), NDArrayIndex.all());
                hT[s] = hs.get(rows(r1, r1 + b), NDArrayIndex.all());
                dhT[s] = dh.get(rows(r0, r1), NDArrayIndex.all());
                dzT[s] = dz.get(rows(r0, r1), NDArrayIndex.all());
            }
            hpK = new INDArray[p];
            dhpK = new INDArray[p];
            if (!everyStep) {
                for (int k = 0; k < p; k++) {
                    hpK[k] = hp.get(rows((long) k * b, (long) (k + 1) * b), NDArrayIndex.all());
                    dhpK[k] = dhp.get(rows((long) k * b, (long) (k + 1) * b), NDArrayIndex.all());
                }
            }
        }

        boolean fits(SequenceBatch batch) {
            return batch.steps() == t && batch.batchSize() == b && batch.supervision().equals(supervision);
        }
    }
}
