package dev.carousel.nn;

import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The split of δc_t into the carousel term δc_{t+1} ⊙ f_{t+1} and the four gate terms through h_t (the
 * {@code dc_*} probes; the equation is {@link Probe}'s), computed after a backward pass from the workspace's δc,
 * activations, tanh c and δz, and W_h. The products δz_{t+1}^{(k)}·W_{h,k}ᵀ, the gate column blocks of the recurrent
 * product δz_{t+1}·W_hᵀ that the backward pass runs as one (one more product of that size in all), run for
 * {@link #STEPS_PER_PRODUCT} steps at once, four [S·B, H]×[H, H] products in place in δz and W_h (taller products
 * run nearer the BLAS peak than per-step [B, H] ones: 25 against 14 ms a probed step at (64, 100, 2, 128)); then one
 * pass over each step's [B, H] values per sequence. Norms, dot products and ratios are summed in double over u in
 * order, from the stored (float32 or float64) values.
 *
 * <p>LSTM only. Shapes as in {@link RecurrentNetwork}; per-step probe arrays are [B, T] (index b·T + t).
 */
final class CellGradientSplit {
    private final int t;
    private final int b;
    private final int h;
    private final int g;
    /** Steps whose gate products run as one: S in [S·B, H]×[H, H]. */
    static final int STEPS_PER_PRODUCT = 16;

    /** [S·B, G] δz_{t+1}^{(k)}·W_{h,k}ᵀ at columns k·H.. for S steps, in the engine's precision. */
    private final Blas.Matrix via;
    /**
     * One step's blocks read back as doubles: the gate products [B, G]; the activations of steps t and t + 1 [B, G],
     * two buffers that swap roles as t advances, so each step's activations are read once; δc_{t+1}, tanh c_t [B, H].
     */
    private final double[] viaBlock, gatesA, gatesB, dcNext, tcNow;

    CellGradientSplit(ModelSpec spec, int t, int b) {
        this.t = t;
        this.b = b;
        this.h = spec.hidden();
        this.g = spec.gateWidth();
        this.via = new Blas.Matrix(Nd4j.create(spec.precision().dataType(), (long) Math.min(STEPS_PER_PRODUCT, t) * b, g));
        int bg = Math.multiplyExact(b, g);
        int bh = Math.multiplyExact(b, h);
        viaBlock = new double[bg];
        gatesA = new double[bg];
        gatesB = new double[bg];
        dcNext = new double[bh];
        tcNow = new double[bh];
    }

    /** Puts the [B, T] arrays of every cell-term probe into {@code out}. */
    void record(Workspace w, Blas.Matrix wh, Map<Probe, double[]> out) {
        int n = Math.multiplyExact(b, t);
        double[] carousel = new double[n];
        double[][] gate = new double[4][n];
        double[] share = new double[n];
        double[] agreement = new double[n];
        double[] cosine = new double[n];
        // The last step has no later step: its terms are zero, their norms −∞ and their ratios undefined.
        for (int s = 0; s < b; s++) {
            int last = s * t + t - 1;
            carousel[last] = Double.NEGATIVE_INFINITY;
            for (double[] v : gate) {
                v[last] = Double.NEGATIVE_INFINITY;
            }
            share[last] = Double.NaN;
            agreement[last] = Double.NaN;
            cosine[last] = Double.NaN;
        }
        double[] sq = new double[4];
        int first = 0; // the first step of δc_t whose products are in via
        int bh = b * h;
        int bg = b * g;
        double[] gatesNow = gatesA;
        double[] gatesNext = gatesB;
        if (t > 1) {
            w.rz.read(0, gatesNow, bg);
        }
        for (int step = 0; step + 1 < t; step++) {
            if (step > 0) { // the activations of this step were the previous step's next ones
                double[] swap = gatesNow;
                gatesNow = gatesNext;
                gatesNext = swap;
            }
            if (step % STEPS_PER_PRODUCT == 0) {
                first = step;
                products(w, wh, step + 1, Math.min(STEPS_PER_PRODUCT, t - 1 - step));
            }
            via.read((long) (step - first) * bg, viaBlock, bg);
            w.rdc.read((step + 1) * bh, dcNext, bh);
            w.rz.read((step + 1) * bg, gatesNext, bg);
            w.rtc.read(step * bh, tcNow, bh);
            for (int s = 0; s < b; s++) {
                int zr = s * g;
                int hr = s * h;
                double sc = 0;   // ‖carousel‖²
                double sv = 0;   // ‖Σ_k gate terms‖²
                double ss = 0;   // ‖carousel + Σ_k gate terms‖²
                double dot = 0;  // ⟨carousel, Σ_k gate terms⟩
                Arrays.fill(sq, 0.0);
                for (int u = 0; u < h; u++) {
                    double c = dcNext[hr + u] * gatesNext[zr + h + u];
                    double tc = tcNow[hr + u];
                    double d = gatesNow[zr + 3 * h + u] * (1 - tc * tc); // ∂h_t/∂c_t = o_t ⊙ (1 − tanh² c_t)
                    double vi = viaBlock[zr + u] * d;
                    double vf = viaBlock[zr + h + u] * d;
                    double vg = viaBlock[zr + 2 * h + u] * d;
                    double vo = viaBlock[zr + 3 * h + u] * d;
                    sq[0] += vi * vi;
                    sq[1] += vf * vf;
                    sq[2] += vg * vg;
                    sq[3] += vo * vo;
                    double v = vi + vf + vg + vo;
                    double sum = c + v;
                    sc += c * c;
                    sv += v * v;
                    ss += sum * sum;
                    dot += c * v;
                }
                int k = s * t + step;
                double nc = Math.sqrt(sc);
                double total = nc;
                carousel[k] = Math.log10(nc);
                for (int q = 0; q < 4; q++) {
                    double nq = Math.sqrt(sq[q]);
                    gate[q][k] = Math.log10(nq);
                    total += nq;
                }
                share[k] = nc / total;
                agreement[k] = Math.sqrt(ss) / total;
                cosine[k] = dot / (nc * Math.sqrt(sv));
            }
        }
        out.put(Probe.DC_CAROUSEL, carousel);
        for (int q = 0; q < 4; q++) {
            out.put(Probe.VIA[q], gate[q]);
        }
        out.put(Probe.DC_SHARE, share);
        out.put(Probe.DC_AGREEMENT, agreement);
        out.put(Probe.DC_COSINE, cosine);
    }

    /**
     * via ← δz_s^{(k)}·W_{h,k}ᵀ for the {@code steps} steps s from {@code from} on and k = i, f, g, o: [steps·B, H]×[H, H]
     * each, in place in δz (time-major, so the steps' rows are contiguous), W_h and via.
     */
    private void products(Workspace w, Blas.Matrix wh, int from, int steps) {
        long dzRow = (long) from * b * g;
        for (int k = 0; k < 4; k++) {
            Blas.gemm(w.mdz, dzRow + (long) k * h, g, false, wh, (long) k * h, g, true, via, (long) k * h, g,
                    steps * b, h, h, 1.0, 0.0);
        }
    }
}
