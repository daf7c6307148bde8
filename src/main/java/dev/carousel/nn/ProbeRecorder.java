package dev.carousel.nn;

import dev.carousel.data.Supervision;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The gradient-flow probes of one workspace (docs/science.md): dh, dc, forget and path_gain are gathered inside
 * the backward loop, step by step, while the step kernel has each step's blocks in Java arrays (no second pass
 * over [T·B, ·] tensors); dwh_step and the split of δc ({@link CellGradientSplit}) are computed after the pass
 * from the workspace's tensors, and only when asked for. Per-step probe arrays are [B, T] (index b·T + t). Shapes
 * as in {@link RecurrentNetwork}.
 */
final class ProbeRecorder {
    private static final double LN10 = Math.log(10);

    private final int t;
    private final int b;
    private final int h;
    private final boolean lstm;
    private double[] dh;
    private double[] dc;
    private double[] forget;
    private double[] pathGain;
    /**
     * Per (sequence, unit): ∏_{k=t+1..T−1} f_k divided by e^{logScale[b]}. The product runs backwards in
     * time; whenever a sequence's mean over units falls below 1e-200 its row is rescaled and the factor
     * moved into logScale, so a gain like 0.5^399 stays exact where the product itself would underflow
     * (docs/science.md, pitfalls). Equivalent to a log-sum of f and a log-mean-exp over units, with one
     * multiply per element instead of a log and an exp.
     */
    private final double[] product;
    private final double[] logScale;
    /** [B·H] of 1: f_{t+1} of the last step, for the late product of the float32 LSTM path (else empty). */
    private final float[] ones;
    /** [B, B] Gram matrices of the dwh_step probe, read back as doubles. */
    private final double[] gramA, gramD;
    private final ModelSpec spec;
    /** The probes of the current pass (those that apply to the cell). */
    private Set<Probe> wanted = EnumSet.noneOf(Probe.class);
    /** Made by the first pass that asks for a cell-term probe. */
    private CellGradientSplit split;

    ProbeRecorder(ModelSpec spec, int t, int b) {
        this.spec = spec;
        this.t = t;
        this.b = b;
        this.h = spec.hidden();
        this.lstm = spec.cell() == CellType.LSTM;
        this.product = new double[Math.multiplyExact(b, h)];
        this.logScale = new double[b];
        this.ones = new float[lstm && spec.precision() == Precision.FLOAT32 ? Math.multiplyExact(b, h) : 0];
        Arrays.fill(ones, 1f);
        this.gramA = new double[Math.multiplyExact(b, b)];
        this.gramD = new double[Math.multiplyExact(b, b)];
    }

    /**
     * Starts a pass that records {@code probes} (those that do not apply to the cell are left out): fresh [B, T]
     * arrays (the last pass's belong to its result) and an empty f product.
     */
    ProbeRecorder reset(Set<Probe> probes) {
        wanted = EnumSet.noneOf(Probe.class);
        for (Probe p : probes) {
            if (p.appliesTo(spec.cell())) {
                wanted.add(p);
            }
        }
        dh = new double[Math.multiplyExact(b, t)];
        dc = new double[Math.multiplyExact(b, t)];
        forget = new double[Math.multiplyExact(b, t)];
        pathGain = new double[Math.multiplyExact(b, t)];
        Arrays.fill(product, 1.0);
        Arrays.fill(logScale, 0.0);
        return this;
    }

    /**
     * The probes of step {@code step} from float64 blocks: δh_t and δc_t [B, H], the activations [B, G] with f_t
     * at columns H..2H (LSTM; δc_t and the activations are not read for the RNN). Each sum runs over u in order,
     * the path gain's in a pass of its own.
     */
    void recordStep(int step, double[] dhb, double[] dcb, double[] zb, int g) {
        final int tn = t;
        for (int s = 0; s < b; s++) {
            int hr = s * h;
            double sq = 0;
            for (int u = 0; u < h; u++) {
                sq += dhb[hr + u] * dhb[hr + u];
            }
            dh[s * tn + step] = 0.5 * Math.log10(sq);
            if (lstm) {
                double sc = 0;
                for (int u = 0; u < h; u++) {
                    sc += dcb[hr + u] * dcb[hr + u];
                }
                dc[s * tn + step] = 0.5 * Math.log10(sc);
                int fr = s * g + h;
                pathGainOutput(s, step);
                double fsum = 0;
                double[] prod = product;
                for (int u = 0; u < h; u++) {
                    double f = zb[fr + u];
                    fsum += f;
                    prod[hr + u] *= f;
                }
                forget[s * tn + step] = fsum / h;
            }
        }
    }

    /**
     * The probes of step {@code step} from float32 blocks: δh_t, δc_t, f_t and f_{t+1}, [B·H] each (δc_t and the
     * f's are not read for the RNN, f_{t+1} not at the last step). Squares and sums in double: the exact norms of
     * the stored values. One loop per sequence runs the four sums side by side, each over u in order (so each
     * gives the value it gives on its own), and their chains of dependent adds overlap. The f product takes f_{t+1}
     * in that loop, a step after f_{t+1} was read: step t's path gain needs ∏_{k>t} f_k, and a rescale at step
     * t + 1 ({@link #pathGainOutput(int, int, double)}) comes before f_{t+1} joins, as in the float64 path.
     */
    void recordStep(int step, float[] dhb, float[] dcb, float[] gf, float[] fNext) {
        final int tn = t;
        if (!lstm) {
            for (int s = 0; s < b; s++) {
                int hr = s * h;
                double sq = 0;
                for (int u = 0; u < h; u++) {
                    double v = dhb[hr + u];
                    sq += v * v;
                }
                dh[s * tn + step] = 0.5 * Math.log10(sq);
            }
            return;
        }
        final double[] prod = product;
        // At the last step no f_{t+1} exists and the product is all ones: multiplying by ones leaves it so exactly.
        final float[] fLate = step == tn - 1 ? ones : fNext;
        for (int s = 0; s < b; s++) {
            final int hr = s * h;
            double sq = 0;
            double sc = 0;
            double psum = 0;
            double fsum = 0;
            for (int i = hr; i < hr + h; i++) {
                double v = dhb[i];
                sq += v * v;
                double w = dcb[i];
                sc += w * w;
                double p = prod[i] * fLate[i];
                prod[i] = p;
                psum += p;
                fsum += gf[i];
            }
            dh[s * tn + step] = 0.5 * Math.log10(sq);
            dc[s * tn + step] = 0.5 * Math.log10(sc);
            pathGainOutput(s, step, psum);
            forget[s * tn + step] = fsum / h;
        }
    }

    /** path_gain(s, t) = log10 mean_u ∏_{k=t+1..T−1} f_k, from the product so far (before f_t joins it). */
    private void pathGainOutput(int s, int step) {
        double sum = 0;
        int r = s * h;
        for (int u = 0; u < h; u++) {
            sum += product[r + u];
        }
        pathGainOutput(s, step, sum);
    }

    /** As {@link #pathGainOutput(int, int)}, given {@code sum} = Σ_u product[s·H + u] summed in u order. */
    private void pathGainOutput(int s, int step, double sum) {
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

    /**
     * The pass's probes, those asked for at {@link #reset}: the ones recorded step by step, dwh_step from the
     * workspace's h and δz, and the split of δc from its δc, activations, tanh c and δz and W_h [H, G].
     */
    ProbeValues values(Workspace w, Supervision supervision, Blas.Matrix wh) {
        Map<Probe, double[]> values = new EnumMap<>(Probe.class);
        Map<Probe, double[]> stepwise = new EnumMap<>(Probe.class);
        stepwise.put(Probe.DH, dh);
        if (lstm) {
            stepwise.put(Probe.DC, dc);
            stepwise.put(Probe.FORGET, forget);
            stepwise.put(Probe.PATH_GAIN, pathGain);
        }
        for (Map.Entry<Probe, double[]> e : stepwise.entrySet()) {
            if (wanted.contains(e.getKey())) {
                values.put(e.getKey(), e.getValue());
            }
        }
        if (wanted.contains(Probe.DWH_STEP)) {
            values.put(Probe.DWH_STEP, dwhStep(w));
        }
        if (wanted.stream().anyMatch(Probe::isCellTerm)) {
            if (split == null) {
                split = new CellGradientSplit(spec, t, b);
            }
            Map<Probe, double[]> terms = new EnumMap<>(Probe.class);
            split.record(w, wh, terms);
            terms.keySet().retainAll(wanted);
            values.putAll(terms);
        }
        return new ProbeValues(b, t, supervision.lastStep(), values);
    }

    /**
     * log10 ‖h_{t−1}ᵀ δz_t‖_F [T] by the Gram identity ‖AᵀD‖²_F = Σ (AAᵀ ∘ DDᵀ), without forming [H, G]: two
     * symmetric rank-k updates (upper triangles only) of B² (H + G) multiply-adds per step, against B·H·G to
     * form the product.
     */
    private double[] dwhStep(Workspace w) {
        double[] out = new double[w.t];
        int bn = w.b;
        int g = lstm ? 4 * h : h;
        double[] ga = gramA;
        double[] gd = gramD;
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
}
