package dev.carousel.nn;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;

import java.util.EnumMap;
import java.util.Map;

/**
 * Plain-Java reference forward and backward pass (BPTT) of the LSTM and the tanh-RNN of docs/science.md,
 * written with {@code double[]} and deliberately slow, obvious loops, so that the fast ND4J engine can be
 * tested against it tensor by tensor. It knows nothing of ND4J. Its own correctness is established by
 * finite differences in {@code ReferenceNetworkTest}.
 *
 * <h2>Shape legend</h2>
 * <pre>
 *   B  batch size (sequences)          T  time steps, t = 0 .. T-1
 *   I  input size                      H  hidden size (units)
 *   O  output size                     G  gate width: 4H for the LSTM (blocks i, f, g, o), H for the RNN
 *   P  the loss steps, Supervision.steps(); |P| their count
 *
 *   batch.inputs   [T, B, I] flat, (t, b, i) at (t*B + b)*I + i        (SequenceBatch, time-major)
 *   batch.targets  [T, B, O] flat, (t, b, o) at (t*B + b)*O + o
 *
 *   theta (θ), flat, row-major blocks in this order:
 *     W_x [I, G]   (i, j) at wx + i*G + j
 *     W_h [H, G]   (k, j) at wh + k*G + j
 *     b   [G]      j      at bias + j
 *     W_y [H, O]   (k, o) at wy + k*O + o
 *     b_y [O]      o      at by + o
 *   LSTM gate column blocks inside G = 4H: [0,H) = i, [H,2H) = f, [2H,3H) = g, [3H,4H) = o.
 *
 *   Per-step arrays are indexed [t][b][unit] (time-major, like the batch).
 * </pre>
 *
 * <h2>Math</h2>
 * LSTM, h_{-1} = c_{-1} = 0: z_t = x_t W_x + h_{t-1} W_h + b; i = σ(z_i), f = σ(z_f) (learned, chrono,
 * uniform) or φ (fixed) or 1 (none), g = tanh(z_g), o = σ(z_o); c_t = f ⊙ c_{t-1} + i ⊙ g;
 * h_t = o ⊙ tanh(c_t). RNN: h_t = tanh(z_t). Head at t ∈ P: y_t = h_t W_y + b_y. Per-step loss MSE
 * (1/O) Σ_o (y_o − target_o)² or cross-entropy −Σ_o target_o log softmax(y_t)_o. ℓ_b = (1/|P|) Σ_{t∈P}
 * loss; L = (1/B) Σ_b ℓ_b. For fixed/none the f-gate parameters stay in θ and get gradient exactly 0.
 */
public final class ReferenceNetwork {

    private ReferenceNetwork() {
    }

    // ------------------------------------------------------------------------------------------------
    // Parameter layout
    // ------------------------------------------------------------------------------------------------

    /**
     * Offsets of the parameter blocks inside θ.
     *
     * @param gateWidth G = 4H (LSTM) or H (RNN)
     * @param wx        offset of W_x [I, G]
     * @param wh        offset of W_h [H, G]
     * @param bias      offset of b [G]
     * @param wy        offset of W_y [H, O]
     * @param by        offset of b_y [O]
     * @param count     total number of parameters
     */
    public record Layout(CellType cell, int inputSize, int hiddenSize, int outputSize, int gateWidth,
                         int wx, int wh, int bias, int wy, int by, int count) {

        /** Index of W_x[i][j] in θ. */
        public int wx(int i, int j) {
            return wx + i * gateWidth + j;
        }

        /** Index of W_h[k][j] in θ. */
        public int wh(int k, int j) {
            return wh + k * gateWidth + j;
        }

        /** Index of b[j] in θ. */
        public int bias(int j) {
            return bias + j;
        }

        /** Index of W_y[k][o] in θ. */
        public int wy(int k, int o) {
            return wy + k * outputSize + o;
        }

        /** Index of b_y[o] in θ. */
        public int by(int o) {
            return by + o;
        }

        /** True when θ[index] is an f-gate parameter (W_x[:,H:2H], W_h[:,H:2H] or b[H:2H]) of an LSTM. */
        public boolean isForgetGateParameter(int index) {
            if (cell != CellType.LSTM || index < 0 || index >= wy) {
                return false;
            }
            int column = (index - wx) % gateWidth; // W_x, W_h and b are contiguous rows of width G
            return column >= hiddenSize && column < 2 * hiddenSize;
        }
    }

    /** The block offsets of θ for the given cell and sizes. */
    public static Layout layout(CellType cell, int inputSize, int hiddenSize, int outputSize) {
        if (inputSize <= 0 || hiddenSize <= 0 || outputSize <= 0) {
            throw new IllegalArgumentException("sizes must be positive: I=" + inputSize + " H=" + hiddenSize
                    + " O=" + outputSize);
        }
        int g = cell == CellType.LSTM ? 4 * hiddenSize : hiddenSize;
        int wx = 0;
        int wh = wx + inputSize * g;
        int bias = wh + hiddenSize * g;
        int wy = bias + g;
        int by = wy + hiddenSize * outputSize;
        int count = by + outputSize;
        return new Layout(cell, inputSize, hiddenSize, outputSize, g, wx, wh, bias, wy, by, count);
    }

    /** Number of parameters: LSTM 4H(I + H + 1) + O(H + 1); RNN H(I + H + 1) + O(H + 1). */
    public static int parameterCount(CellType cell, int inputSize, int hiddenSize, int outputSize) {
        return layout(cell, inputSize, hiddenSize, outputSize).count();
    }

    // ------------------------------------------------------------------------------------------------
    // Perturbation hook (forward only, for finite differences)
    // ------------------------------------------------------------------------------------------------

    /** What a {@link Perturbation} adds ε to. */
    public enum Target {
        /** h_t[b][unit], right after it is computed (c_t is not affected). */
        H,
        /** c_t[b][unit] (LSTM), right after it is computed and before h_t = o ⊙ tanh(c_t) reads it. */
        C,
        /**
         * z_t[b][unit], unit in [0, G), right after it is computed and before the activations read it
         * (an extension beyond H and C, so that dz can be checked by finite differences too).
         */
        Z
    }

    /** Adds {@code eps} to one element of h_t, c_t or z_t; the perturbed value feeds everything after it. */
    public record Perturbation(Target target, int t, int b, int unit, double eps) {
        public Perturbation {
            if (target == null) {
                throw new IllegalArgumentException("perturbation target is null");
            }
        }

        boolean hits(Target what, int tt, int bb, int u) {
            return target == what && t == tt && b == bb && unit == u;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Result
    // ------------------------------------------------------------------------------------------------

    /**
     * Everything one forward + backward pass produces.
     *
     * @param loss           L = (1/B) Σ_b ℓ_b
     * @param sequenceLosses ℓ_b                                           [B]
     * @param grad           ∂L/∂θ, same layout as θ                       [parameterCount]
     * @param h              hidden states h_t                             [T][B][H]
     * @param c              cell states c_t (LSTM; null for the RNN)      [T][B][H]
     * @param gates          post-activation i, f, g, o (LSTM; null for the RNN); the f block holds φ
     *                       (fixed) or 1 (none)                           [T][B][4H]
     * @param dh             ∂ℓ_b/∂h_t, total (all later paths), per sequence, not divided by B  [T][B][H]
     * @param dc             ∂ℓ_b/∂c_t, total (through h_t and c_{t+1}) (LSTM; null for RNN)     [T][B][H]
     * @param dz             ∂(Σ_b ℓ_b)/∂z_t, i.e. row b is ∂ℓ_b/∂z_t[b]                          [T][B][G]
     * @param probes         DH, DC, FORGET, PATH_GAIN, DWH_STEP and the DC_* split of δc (LSTM) or DH, DWH_STEP (RNN)
     */
    public record Result(double loss, double[] sequenceLosses, double[] grad,
                         double[][][] h, double[][][] c, double[][][] gates,
                         double[][][] dh, double[][][] dc, double[][][] dz,
                         ProbeValues probes) {
    }

    // ------------------------------------------------------------------------------------------------
    // Public entry points
    // ------------------------------------------------------------------------------------------------

    /** Forward and backward pass: loss, gradient, states, per-step derivatives and probes. */
    public static Result run(CellType cell, ForgetGate gate, int hiddenSize, double[] theta, SequenceBatch batch) {
        Forward fw = forward(cell, gate, hiddenSize, theta, batch, null);
        return backward(fw);
    }

    /** Forward only: the batch loss L, with an optional perturbation ({@code null} for none). */
    public static double loss(CellType cell, ForgetGate gate, int hiddenSize, double[] theta, SequenceBatch batch,
                              Perturbation p) {
        return forward(cell, gate, hiddenSize, theta, batch, p).loss;
    }

    /** Forward only: the per-sequence losses ℓ_b [B], with an optional perturbation ({@code null} for none). */
    public static double[] sequenceLosses(CellType cell, ForgetGate gate, int hiddenSize, double[] theta,
                                          SequenceBatch batch, Perturbation p) {
        return forward(cell, gate, hiddenSize, theta, batch, p).seqLoss.clone();
    }

    // ------------------------------------------------------------------------------------------------
    // Forward
    // ------------------------------------------------------------------------------------------------

    /** The forward pass's saved state. */
    private static final class Forward {
        CellType cell;
        ForgetGate gate;
        Layout lay;
        double[] theta;           // θ                                  [count]
        SequenceBatch batch;
        int T, B, I, H, O, G;
        boolean[] isLossStep;     // t ∈ P                              [T]
        int lossStepCount;        // |P|
        double[][][] z;           // pre-activations z_t                [T][B][G]
        double[][][] gates;       // post-activation i,f,g,o (LSTM)     [T][B][4H]
        double[][][] c;           // cell states (LSTM)                 [T][B][H]
        double[][][] tanhC;       // tanh(c_t) (LSTM)                   [T][B][H]
        double[][][] h;           // hidden states                      [T][B][H]
        double[][][] y;           // head outputs at loss steps, else null rows   [T][B][O]
        double[] seqLoss;         // ℓ_b                                [B]
        double loss;              // L
    }

    private static Forward forward(CellType cell, ForgetGate gate, int hiddenSize, double[] theta,
                                   SequenceBatch batch, Perturbation p) {
        if (cell == null) {
            throw new IllegalArgumentException("cell is null");
        }
        if (cell == CellType.LSTM && gate == null) {
            throw new IllegalArgumentException("an LSTM needs a forget gate mode");
        }
        Layout lay = layout(cell, batch.inputSize(), hiddenSize, batch.outputSize());
        if (theta.length != lay.count()) {
            throw new IllegalArgumentException("theta has " + theta.length + " values, expected " + lay.count());
        }
        Forward fw = new Forward();
        fw.cell = cell;
        fw.gate = gate;
        fw.lay = lay;
        fw.theta = theta;
        fw.batch = batch;
        int T = fw.T = batch.steps();
        int B = fw.B = batch.batchSize();
        int I = fw.I = batch.inputSize();
        int H = fw.H = hiddenSize;
        int O = fw.O = batch.outputSize();
        int G = fw.G = lay.gateWidth();
        Supervision sup = batch.supervision();
        fw.isLossStep = sup.mask(T);                // [T]
        fw.lossStepCount = sup.count();
        boolean lstm = cell == CellType.LSTM;

        fw.z = new double[T][B][G];                 // [T][B][G]
        fw.h = new double[T][B][H];                 // [T][B][H]
        fw.gates = lstm ? new double[T][B][G] : null;   // [T][B][4H]
        fw.c = lstm ? new double[T][B][H] : null;       // [T][B][H]
        fw.tanhC = lstm ? new double[T][B][H] : null;   // [T][B][H]
        fw.y = new double[T][B][];                  // [T][B][O] at loss steps
        fw.seqLoss = new double[B];                 // [B]

        double[] zeroState = new double[H];         // h_{-1} = c_{-1} = 0   [H]

        for (int t = 0; t < T; t++) {
            for (int b = 0; b < B; b++) {
                double[] hPrev = t > 0 ? fw.h[t - 1][b] : zeroState;   // [H]
                double[] z = fw.z[t][b];                                // [G]

                // z_t = x_t W_x + h_{t-1} W_h + b
                for (int j = 0; j < G; j++) {
                    double s = theta[lay.bias(j)];
                    for (int i = 0; i < I; i++) {
                        s += batch.input(t, b, i) * theta[lay.wx(i, j)];
                    }
                    for (int k = 0; k < H; k++) {
                        s += hPrev[k] * theta[lay.wh(k, j)];
                    }
                    z[j] = s;
                    if (p != null && p.hits(Target.Z, t, b, j)) {
                        z[j] += p.eps();
                    }
                }

                double[] h = fw.h[t][b];                                // [H]
                if (lstm) {
                    double[] cPrev = t > 0 ? fw.c[t - 1][b] : zeroState; // [H]
                    double[] a = fw.gates[t][b];                         // [4H]
                    double[] c = fw.c[t][b];                             // [H]
                    double[] tc = fw.tanhC[t][b];                        // [H]
                    for (int u = 0; u < H; u++) {
                        double ig = sigmoid(z[u]);
                        double fg = forget(gate, z[H + u]);
                        double gg = Math.tanh(z[2 * H + u]);
                        double og = sigmoid(z[3 * H + u]);
                        a[u] = ig;
                        a[H + u] = fg;
                        a[2 * H + u] = gg;
                        a[3 * H + u] = og;
                        c[u] = fg * cPrev[u] + ig * gg;
                        if (p != null && p.hits(Target.C, t, b, u)) {
                            c[u] += p.eps();
                        }
                        tc[u] = Math.tanh(c[u]);
                        h[u] = og * tc[u];
                        if (p != null && p.hits(Target.H, t, b, u)) {
                            h[u] += p.eps();
                        }
                    }
                } else {
                    for (int u = 0; u < H; u++) {
                        h[u] = Math.tanh(z[u]);
                        if (p != null && p.hits(Target.H, t, b, u)) {
                            h[u] += p.eps();
                        }
                    }
                }

                // head and loss at loss steps
                if (fw.isLossStep[t]) {
                    double[] y = new double[O];                          // [O]
                    for (int o = 0; o < O; o++) {
                        double s = theta[lay.by(o)];
                        for (int k = 0; k < H; k++) {
                            s += h[k] * theta[lay.wy(k, o)];
                        }
                        y[o] = s;
                    }
                    fw.y[t][b] = y;
                    double[] target = new double[O];                     // [O]
                    for (int o = 0; o < O; o++) {
                        target[o] = batch.target(t, b, o);
                    }
                    fw.seqLoss[b] += stepLoss(sup.kind(), y, target) / fw.lossStepCount;
                }
            }
        }

        double sum = 0.0;
        for (int b = 0; b < B; b++) {
            sum += fw.seqLoss[b];
        }
        fw.loss = sum / B;
        return fw;
    }

    /** The forget gate's value given its pre-activation: σ(z_f), φ or 1. */
    private static double forget(ForgetGate gate, double zf) {
        if (gate instanceof ForgetGate.Fixed fixed) {
            return fixed.value();
        }
        if (gate instanceof ForgetGate.None) {
            return 1.0;
        }
        return sigmoid(zf); // Learned, Chrono, Uniform: same math, they differ only at init
    }

    /** ln f given its pre-activation, computed without forming f (so it cannot underflow to log 0). */
    private static double logForget(ForgetGate gate, double zf) {
        if (gate instanceof ForgetGate.Fixed fixed) {
            return Math.log(fixed.value());
        }
        if (gate instanceof ForgetGate.None) {
            return 0.0;
        }
        // ln σ(z) = −softplus(−z), stable for both signs
        return zf >= 0 ? -Math.log1p(Math.exp(-zf)) : zf - Math.log1p(Math.exp(zf));
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /** Per-step loss of one sequence; y, target [O]. */
    private static double stepLoss(LossKind kind, double[] y, double[] target) {
        int O = y.length;
        if (kind == LossKind.MSE) {
            double s = 0.0;
            for (int o = 0; o < O; o++) {
                double d = y[o] - target[o];
                s += d * d;
            }
            return s / O;
        }
        double[] logp = logSoftmax(y);                                    // [O]
        double s = 0.0;
        for (int o = 0; o < O; o++) {
            s -= target[o] * logp[o];
        }
        return s;
    }

    /** Stable log-softmax: y_o − (max + ln Σ exp(y − max)); y [O] → [O]. */
    private static double[] logSoftmax(double[] y) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : y) {
            max = Math.max(max, v);
        }
        double s = 0.0;
        for (double v : y) {
            s += Math.exp(v - max);
        }
        double logZ = max + Math.log(s);
        double[] out = new double[y.length];                              // [O]
        for (int o = 0; o < y.length; o++) {
            out[o] = y[o] - logZ;
        }
        return out;
    }

    /**
     * ∂(per-step loss)/∂y for one sequence; y, target [O] → [O]. MSE: (2/O)(y − target). Cross-entropy:
     * softmax(y)·Σ_o target_o − target (= softmax − target for a one-hot target).
     */
    private static double[] stepLossGradient(LossKind kind, double[] y, double[] target) {
        int O = y.length;
        double[] d = new double[O];                                       // [O]
        if (kind == LossKind.MSE) {
            for (int o = 0; o < O; o++) {
                d[o] = 2.0 * (y[o] - target[o]) / O;
            }
            return d;
        }
        double[] logp = logSoftmax(y);                                    // [O]
        double targetSum = 0.0;
        for (int o = 0; o < O; o++) {
            targetSum += target[o];
        }
        for (int o = 0; o < O; o++) {
            d[o] = Math.exp(logp[o]) * targetSum - target[o];
        }
        return d;
    }

    // ------------------------------------------------------------------------------------------------
    // Backward (BPTT) and probes
    // ------------------------------------------------------------------------------------------------

    private static Result backward(Forward fw) {
        int T = fw.T, B = fw.B, I = fw.I, H = fw.H, O = fw.O, G = fw.G;
        Layout lay = fw.lay;
        double[] theta = fw.theta;
        SequenceBatch batch = fw.batch;
        LossKind kind = batch.supervision().kind();
        boolean lstm = fw.cell == CellType.LSTM;
        boolean learnedForget = lstm && fw.gate.isLearned();

        double[] gradSum = new double[lay.count()];     // Σ_b ∂ℓ_b/∂θ       [count]
        double[][][] dh = new double[T][B][H];           // ∂ℓ_b/∂h_t         [T][B][H]
        double[][][] dc = lstm ? new double[T][B][H] : null;  // ∂ℓ_b/∂c_t  [T][B][H]
        double[][][] dz = new double[T][B][G];           // ∂ℓ_b/∂z_t[b]      [T][B][G]
        double[] zeroState = new double[H];              // h_{-1} = c_{-1} = 0   [H]

        for (int t = T - 1; t >= 0; t--) {
            for (int b = 0; b < B; b++) {
                double[] dht = dh[t][b];                                 // [H]
                double[] h = fw.h[t][b];                                 // [H]
                double[] hPrev = t > 0 ? fw.h[t - 1][b] : zeroState;     // [H]

                // head gradient at a loss step: dy = (1/|P|) ∂loss/∂y_t
                if (fw.isLossStep[t]) {
                    double[] target = new double[O];                     // [O]
                    for (int o = 0; o < O; o++) {
                        target[o] = batch.target(t, b, o);
                    }
                    double[] dy = stepLossGradient(kind, fw.y[t][b], target);   // [O]
                    for (int o = 0; o < O; o++) {
                        dy[o] /= fw.lossStepCount;
                    }
                    for (int k = 0; k < H; k++) {
                        for (int o = 0; o < O; o++) {
                            dht[k] += dy[o] * theta[lay.wy(k, o)];
                            gradSum[lay.wy(k, o)] += h[k] * dy[o];
                        }
                    }
                    for (int o = 0; o < O; o++) {
                        gradSum[lay.by(o)] += dy[o];
                    }
                }

                // recurrent path: δh_t += δz_{t+1} W_hᵀ
                if (t < T - 1) {
                    double[] dzNext = dz[t + 1][b];                      // [G]
                    for (int k = 0; k < H; k++) {
                        double s = 0.0;
                        for (int j = 0; j < G; j++) {
                            s += dzNext[j] * theta[lay.wh(k, j)];
                        }
                        dht[k] += s;
                    }
                }

                double[] dzt = dz[t][b];                                 // [G]
                if (lstm) {
                    double[] a = fw.gates[t][b];                         // [4H]
                    double[] tc = fw.tanhC[t][b];                        // [H]
                    double[] cPrev = t > 0 ? fw.c[t - 1][b] : zeroState; // [H]
                    double[] dct = dc[t][b];                             // [H]
                    for (int u = 0; u < H; u++) {
                        double ig = a[u], fg = a[H + u], gg = a[2 * H + u], og = a[3 * H + u];
                        // δc_t = δh_t ⊙ o_t ⊙ (1 − tanh² c_t) + δc_{t+1} ⊙ f_{t+1}
                        dct[u] = dht[u] * og * (1.0 - tc[u] * tc[u]);
                        if (t < T - 1) {
                            dct[u] += dc[t + 1][b][u] * fw.gates[t + 1][b][H + u];
                        }
                        dzt[u] = dct[u] * gg * ig * (1.0 - ig);                                   // δi
                        dzt[H + u] = learnedForget ? dct[u] * cPrev[u] * fg * (1.0 - fg) : 0.0;   // δf
                        dzt[2 * H + u] = dct[u] * ig * (1.0 - gg * gg);                           // δg
                        dzt[3 * H + u] = dht[u] * tc[u] * og * (1.0 - og);                        // δo
                    }
                } else {
                    for (int u = 0; u < H; u++) {
                        dzt[u] = dht[u] * (1.0 - h[u] * h[u]);
                    }
                }

                // dW_x += x_tᵀ δz_t, dW_h += h_{t-1}ᵀ δz_t, db += δz_t
                for (int j = 0; j < G; j++) {
                    for (int i = 0; i < I; i++) {
                        gradSum[lay.wx(i, j)] += batch.input(t, b, i) * dzt[j];
                    }
                    for (int k = 0; k < H; k++) {
                        gradSum[lay.wh(k, j)] += hPrev[k] * dzt[j];
                    }
                    gradSum[lay.bias(j)] += dzt[j];
                }
            }
        }

        double[] grad = new double[lay.count()];                         // ∂L/∂θ   [count]
        for (int q = 0; q < grad.length; q++) {
            grad[q] = gradSum[q] / B;
        }

        ProbeValues probes = probes(fw, dh, dc, dz);
        return new Result(fw.loss, fw.seqLoss.clone(), grad, fw.h, fw.c, fw.gates, dh, dc, dz, probes);
    }

    private static ProbeValues probes(Forward fw, double[][][] dh, double[][][] dc, double[][][] dz) {
        int T = fw.T, B = fw.B, H = fw.H, G = fw.G;
        boolean lstm = fw.cell == CellType.LSTM;
        Map<Probe, double[]> values = new EnumMap<>(Probe.class);

        double[] dhProbe = new double[B * T];                            // [B, T]
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                dhProbe[b * T + t] = Math.log10(norm(dh[t][b]));
            }
        }
        values.put(Probe.DH, dhProbe);

        if (lstm) {
            double[] dcProbe = new double[B * T];                        // [B, T]
            double[] forgetProbe = new double[B * T];                    // [B, T]
            double[] pathGain = new double[B * T];                       // [B, T]
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    dcProbe[b * T + t] = Math.log10(norm(dc[t][b]));

                    double fSum = 0.0;
                    for (int u = 0; u < H; u++) {
                        fSum += fw.gates[t][b][H + u];
                    }
                    forgetProbe[b * T + t] = fSum / H;

                    // log10( (1/H) Σ_u ∏_{k=t+1..T-1} f_k[b][u] ), product as a sum of logs, mean by LSE
                    double[] logProduct = new double[H];                 // [H]
                    for (int u = 0; u < H; u++) {
                        double s = 0.0;
                        for (int k = t + 1; k < T; k++) {
                            s += logForget(fw.gate, fw.z[k][b][H + u]);
                        }
                        logProduct[u] = s;
                    }
                    pathGain[b * T + t] = (logSumExp(logProduct) - Math.log(H)) / Math.log(10.0);
                }
            }
            values.put(Probe.DC, dcProbe);
            values.put(Probe.FORGET, forgetProbe);
            values.put(Probe.PATH_GAIN, pathGain);
        }

        // DWH_STEP[t] = log10 ‖ h_{t-1}ᵀ δz_t ‖_F, formed explicitly: M [H, G]
        double[] dwh = new double[T];                                    // [T]
        for (int t = 0; t < T; t++) {
            double[][] m = new double[H][G];                             // [H][G]
            if (t > 0) {
                for (int b = 0; b < B; b++) {
                    for (int k = 0; k < H; k++) {
                        for (int j = 0; j < G; j++) {
                            m[k][j] += fw.h[t - 1][b][k] * dz[t][b][j];
                        }
                    }
                }
            }
            double[] flat = new double[H * G];                           // M row-major [H*G]
            for (int k = 0; k < H; k++) {
                for (int j = 0; j < G; j++) {
                    flat[k * G + j] = m[k][j];
                }
            }
            dwh[t] = Math.log10(norm(flat));
        }
        values.put(Probe.DWH_STEP, dwh);
        if (lstm) {
            cellTerms(fw, dc, dz, values);
        }

        return new ProbeValues(B, T, fw.batch.supervision().lastStep(), values);
    }

    /**
     * The split of δc_t into the terms that reach it from step t + 1 (Probe's equation), formed term by term:
     * carousel[u] = δc_{t+1}[u]·f_{t+1}[u]; gate k's [u] = (Σ_j δz_{t+1}[kH + j]·W_h[u][kH + j])·o_t[u]·(1 − tanh²
     * c_t[u]). Puts the log10 norms, the carousel share, the agreement and the cosine [B, T]; at t = T − 1 the
     * terms are zero (norms −∞, ratios NaN).
     */
    private static void cellTerms(Forward fw, double[][][] dc, double[][][] dz, Map<Probe, double[]> values) {
        int T = fw.T, B = fw.B, H = fw.H;
        Probe[] via = {Probe.DC_VIA_I, Probe.DC_VIA_F, Probe.DC_VIA_G, Probe.DC_VIA_O};
        double[] carousel = new double[B * T];                          // [B, T]
        double[][] gate = new double[4][B * T];                         // [4][B, T]
        double[] share = new double[B * T];                             // [B, T]
        double[] agreement = new double[B * T];                         // [B, T]
        double[] cosine = new double[B * T];                            // [B, T]
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                double[] car = new double[H];                           // [H]
                double[][] terms = new double[4][H];                    // [4][H]
                if (t < T - 1) {
                    for (int u = 0; u < H; u++) {
                        car[u] = dc[t + 1][b][u] * fw.gates[t + 1][b][H + u];
                        double dhdc = fw.gates[t][b][3 * H + u] * (1.0 - fw.tanhC[t][b][u] * fw.tanhC[t][b][u]);
                        for (int k = 0; k < 4; k++) {
                            double s = 0.0;
                            for (int j = 0; j < H; j++) {
                                s += dz[t + 1][b][k * H + j] * fw.theta[fw.lay.wh(u, k * H + j)];
                            }
                            terms[k][u] = s * dhdc;
                        }
                    }
                }
                double[] gates = new double[H];                         // Σ_k gate terms [H]
                double[] all = new double[H];                           // carousel + Σ_k gate terms [H]
                double total = norm(car);
                for (int k = 0; k < 4; k++) {
                    total += norm(terms[k]);
                    gate[k][b * T + t] = Math.log10(norm(terms[k]));
                    for (int u = 0; u < H; u++) {
                        gates[u] += terms[k][u];
                    }
                }
                double dot = 0.0;
                for (int u = 0; u < H; u++) {
                    all[u] = car[u] + gates[u];
                    dot += car[u] * gates[u];
                }
                carousel[b * T + t] = Math.log10(norm(car));
                share[b * T + t] = norm(car) / total;
                agreement[b * T + t] = norm(all) / total;
                cosine[b * T + t] = dot / (norm(car) * norm(gates));
            }
        }
        values.put(Probe.DC_CAROUSEL, carousel);
        for (int k = 0; k < 4; k++) {
            values.put(via[k], gate[k]);
        }
        values.put(Probe.DC_SHARE, share);
        values.put(Probe.DC_AGREEMENT, agreement);
        values.put(Probe.DC_COSINE, cosine);
    }

    /** Euclidean norm of v [n], scaled by max |v| so that tiny or huge norms neither underflow nor overflow. */
    private static double norm(double[] v) {
        double scale = 0.0;
        for (double x : v) {
            scale = Math.max(scale, Math.abs(x));
        }
        if (scale == 0.0 || Double.isInfinite(scale) || Double.isNaN(scale)) {
            return scale;
        }
        double s = 0.0;
        for (double x : v) {
            s += (x / scale) * (x / scale);
        }
        return scale * Math.sqrt(s);
    }

    /** ln Σ exp(v); −∞ when every element is −∞. v [n]. */
    private static double logSumExp(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            max = Math.max(max, x);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return Double.NEGATIVE_INFINITY;
        }
        double s = 0.0;
        for (double x : v) {
            s += Math.exp(x - max);
        }
        return max + Math.log(s);
    }
}
