package dev.carousel.nn;

/**
 * The float64 step kernel: each step's pointwise math is one fused pass over [B, G] and [B, H] Java arrays, with
 * exp-based activations exact to a few ulp. Shapes as in {@link RecurrentNetwork}.
 */
final class DoubleKernel implements StepKernel {
    private final Workspace w;
    private final boolean lstm;
    /** φ for fixed/none forget gates; NaN when f is learned. */
    private final double constantForget;
    private final int h;
    private final int g;
    /** One step's blocks: [B, G] z_t (then its activations) and δz_t; [B, H] the rest. */
    private final double[] zBlock, dzBlock, hBlock, cBlock, cPrevBlock, tcBlock, dcNextBlock, fNextBlock;
    /** b [G], read from θ once per pass. */
    private final double[] bias;

    DoubleKernel(ModelSpec spec, Workspace w) {
        this.w = w;
        this.lstm = spec.cell() == CellType.LSTM;
        this.constantForget = spec.constantForget();
        this.h = spec.hidden();
        this.g = spec.gateWidth();
        int bg = w.b * g;
        int bh = w.b * h;
        zBlock = new double[bg];
        dzBlock = new double[bg];
        hBlock = new double[bh];
        cBlock = new double[bh];
        cPrevBlock = new double[bh];
        tcBlock = new double[bh];
        dcNextBlock = new double[bh];
        fNextBlock = new double[bh];
        bias = new double[g];
    }

    @Override
    public void beginForward(Blas.Matrix b) {
        b.read(0, bias, bias.length);
    }

    @Override
    public void forward(int t) {
        final int bn = w.b;
        final int bg = bn * g;
        final int bh = bn * h;
        final double[] zb = zBlock;       // [B, G] z_t, then its activations
        final double[] hb = hBlock;       // [B, H] h_t
        final double[] cb = cBlock;       // [B, H] c_t
        final double[] cPrev = cPrevBlock; // [B, H] c_{t−1}
        final double[] tcb = tcBlock;     // [B, H] tanh(c_t)
        w.rz.read(t * bg, zb, bg);
        for (int s = 0; s < bn; s++) {
            int zr = s * g;
            for (int u = 0; u < g; u++) {
                zb[zr + u] += bias[u];
            }
        }
        if (lstm) {
            w.rcs.read(t * bh, cPrev, bh); // c_{t−1} as stored (rows 0..B−1 of cs: c_{−1} = 0)
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
        } else {
            for (int k = 0; k < bh; k++) {
                zb[k] = tanh(zb[k]);
                hb[k] = zb[k];
            }
        }
        w.rz.write(t * bg, zb, bg);
        w.rhs.write((t + 1) * bh, hb, bh);
    }

    /** δc_t, δz_t from δh_t (already complete in dh), gates, c_{t−1}, tanh(c_t). */
    @Override
    public void backward(int t, ProbeRecorder probes) {
        final int tn = w.t;
        final int bn = w.b;
        final boolean learnedForget = Double.isNaN(constantForget);
        final int bg = bn * g;
        final int bh = bn * h;
        final double[] zb = zBlock;        // [B, G] activations of step t
        final double[] dhb = hBlock;       // [B, H] δh_t
        final double[] tcb = tcBlock;      // [B, H] tanh(c_t)
        final double[] cPrev = cPrevBlock; // [B, H] c_{t−1}
        final double[] dcb = cBlock;       // [B, H] δc_t
        final double[] dcNext = dcNextBlock; // [B, H] δc_{t+1}
        final double[] fNext = fNextBlock; // [B, H] f_{t+1}
        final double[] dzb = dzBlock;      // [B, G] δz_t
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
            probes.recordStep(t, dhb, dcb, zb, g);
        }
    }

    static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /** tanh through one exp (Math.tanh is markedly slower); exact to a few ulp, saturating correctly. */
    static double tanh(double x) {
        if (x > 20) {
            return 1.0;
        }
        if (x < -20) {
            return -1.0;
        }
        double e = Math.exp(2 * x);
        return (e - 1) / (e + 1);
    }
}
