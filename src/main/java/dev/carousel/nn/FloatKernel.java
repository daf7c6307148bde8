package dev.carousel.nn;

import java.util.Arrays;

/**
 * The float32 step kernel: the same math as {@link DoubleKernel} in float arithmetic. A step's [B, G] block is
 * first split into one [B·H] array per gate, so that every loop runs over plain arrays at one common index with
 * at most four streams: the shape HotSpot's C2 turns into SIMD code ({@link FloatMath}). Probes are summed in
 * double. Shapes as in {@link RecurrentNetwork}.
 */
final class FloatKernel implements StepKernel {
    private final Workspace w;
    private final boolean lstm;
    /** φ for fixed/none forget gates; NaN when f is learned. */
    private final double constantForget;
    private final int h;
    private final int g;
    /** [B, G] = [B·H] z_t of the RNN, then its activations. */
    private final float[] zF;
    /** [B·H] h_t (δh_t backward) and tanh(c_t). */
    private final float[] hF, tcF;
    /** [B·H] c_{t−1}. */
    private final float[] cPrevF;
    /** [B·H] c_t (δc_t backward), δc_{t+1}, f_{t+1}: swapped between backward steps rather than copied. */
    private float[] cF, dcNextF, fNextF;
    /** Per gate k (i, f, g, o; the RNN has one), b_k repeated for every sequence: [B·H]. */
    private final float[][] biasF;
    /** b [G] as read from θ. */
    private final float[] biasRow;
    /** One step's gate activations and their δ, one [B·H] array per gate (LSTM). */
    private final float[][] gateF, dGateF;

    FloatKernel(ModelSpec spec, Workspace w) {
        this.w = w;
        this.lstm = spec.cell() == CellType.LSTM;
        this.constantForget = spec.constantForget();
        this.h = spec.hidden();
        this.g = spec.gateWidth();
        int b = w.b;
        zF = new float[b * g];
        hF = new float[b * h];
        cF = new float[b * h];
        cPrevF = new float[b * h];
        tcF = new float[b * h];
        dcNextF = new float[b * h];
        fNextF = new float[b * h];
        biasF = new float[lstm ? 4 : 1][b * h];
        gateF = new float[lstm ? 4 : 0][b * h];
        dGateF = new float[lstm ? 4 : 0][b * h];
        biasRow = new float[g];
    }

    @Override
    public void beginForward(Blas.Matrix b) {
        float[] bv = biasRow;
        b.read(0, bv, bv.length);
        for (int k = 0; k < biasF.length; k++) {
            for (int s = 0; s < w.b; s++) {
                System.arraycopy(bv, k * h, biasF[k], s * h, h);
            }
        }
    }

    @Override
    public void forward(int t) {
        final int bn = w.b;
        final int bg = bn * g;
        final int bh = bn * h;
        final float[] hb = hF;        // [B·H] h_t
        final float[] cb = cF;        // [B·H] c_t
        final float[] cPrev = cPrevF; // [B·H] c_{t−1}
        final float[] tcb = tcF;      // [B·H] tanh(c_t)
        if (lstm) {
            final float[] gi = gateF[0];
            final float[] gf = gateF[1];
            final float[] gg = gateF[2];
            final float[] go = gateF[3];
            readGates(w.rz, t * bg, gateF); // z_t straight into the per-gate arrays
            w.rcs.readFloats(t * bh, cPrev, bh); // c_{t−1} as stored (rows 0..B−1 of cs: c_{−1} = 0)
            FloatMath.sigmoidBiased(gi, biasF[0], bh);
            if (Double.isNaN(constantForget)) {
                FloatMath.sigmoidBiased(gf, biasF[1], bh);
            } else {
                Arrays.fill(gf, (float) constantForget);
            }
            FloatMath.tanhBiased(gg, biasF[2], bh);
            FloatMath.sigmoidBiased(go, biasF[3], bh);
            for (int k = 0; k < bh; k++) { // c_t = f ⊙ c_{t−1} + i ⊙ g   (the carousel)
                cb[k] = gf[k] * cPrev[k];
            }
            for (int k = 0; k < bh; k++) {
                cb[k] += gi[k] * gg[k];
            }
            for (int k = 0; k < bh; k++) { // h_t = o ⊙ tanh(c_t); tanh(c_t) is kept for the backward pass
                tcb[k] = FloatMath.tanh(cb[k]);
            }
            for (int k = 0; k < bh; k++) {
                hb[k] = go[k] * tcb[k];
            }
            writeGates(w.rz, t * bg, gateF);
            w.rcs.writeFloats((t + 1) * bh, cb, bh);
            w.rtc.writeFloats(t * bh, tcb, bh);
        } else {
            final float[] zb = zF; // [B, G] = [B·H] z_t, then its activations
            w.rz.readFloats(t * bg, zb, bg);
            FloatMath.tanhBiased(zb, biasF[0], bh);
            System.arraycopy(zb, 0, hb, 0, bh);
            w.rz.writeFloats(t * bg, zb, bg);
        }
        w.rhs.writeFloats((t + 1) * bh, hb, bh);
    }

    @Override
    public void backward(int t, ProbeRecorder probes) {
        final int tn = w.t;
        final int bn = w.b;
        final int bg = bn * g;
        final int bh = bn * h;
        final float[] dhb = hF;         // [B·H] δh_t
        final float[] tcb = tcF;        // [B·H] tanh(c_t)
        final float[] cPrev = cPrevF;   // [B·H] c_{t−1}
        final float[] dcb = cF;         // [B·H] δc_t
        final float[] dcNext = dcNextF; // [B·H] δc_{t+1}
        final float[] fNext = fNextF;   // [B·H] f_{t+1}
        w.rdh.readFloats(t * bh, dhb, bh);
        if (lstm) {
            final float[] gi = gateF[0];
            final float[] gf = gateF[1];
            final float[] gg = gateF[2];
            final float[] go = gateF[3];
            final float[] di = dGateF[0];
            final float[] df = dGateF[1];
            final float[] dg = dGateF[2];
            final float[] dO = dGateF[3];
            readGates(w.rz, t * bg, gateF); // activations of step t straight into the per-gate arrays
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
                Arrays.fill(df, 0f); // a constant gate has no parameters to train
            }
            for (int k = 0; k < bh; k++) {
                dg[k] = dcb[k] * gi[k] * (1 - gg[k] * gg[k]);           // δg
            }
            for (int k = 0; k < bh; k++) {
                dO[k] = dhb[k] * tcb[k] * go[k] * (1 - go[k]);          // δo
            }
            w.rdc.writeFloats(t * bh, dcb, bh);
            writeGates(w.rdz, t * bg, dGateF);
        } else {
            final float[] zb = zF; // [B·H] activations of step t, then δz_t
            w.rz.readFloats(t * bg, zb, bg);
            for (int k = 0; k < bh; k++) {
                zb[k] = dhb[k] * (1 - zb[k] * zb[k]); // δz = δh ⊙ (1 − h²)
            }
            w.rdz.writeFloats(t * bg, zb, bg);
        }
        if (probes != null) {
            probes.recordStep(t, dhb, dcb, lstm ? gateF[1] : null, lstm ? fNextF : null);
        }
        if (lstm) { // δc_t and f_t become the next (earlier) step's δc_{t+1} and f_{t+1}: swap, don't copy
            dcNextF = dcb;
            cF = dcNext;
            fNextF = gateF[1];
            gateF[1] = fNext;
        }
    }

    /** The [B, 4H] block (rows i|f|g|o) of {@code src} at {@code offset} → the four [B·H] gate arrays. */
    private void readGates(RawTensor src, int offset, float[][] gates) {
        int row4 = 4 * h;
        for (int s = 0; s < w.b; s++) {
            int row = offset + s * row4;
            for (int k = 0; k < 4; k++) {
                src.readFloats(row + k * h, gates[k], s * h, h);
            }
        }
    }

    /** The four gate arrays → the [B, 4H] block (rows i|f|g|o) of {@code dst} at {@code offset}. */
    private void writeGates(RawTensor dst, int offset, float[][] gates) {
        int row4 = 4 * h;
        for (int s = 0; s < w.b; s++) {
            int row = offset + s * row4;
            for (int k = 0; k < 4; k++) {
                dst.writeFloats(row + k * h, gates[k], s * h, h);
            }
        }
    }
}
