package dev.carousel.nn;

/**
 * A {@link StepKernel} around the precision's own one that, right after forward step t, adds ε to one element
 * (sequence, unit) of h_t or c_t in the workspace, for finite differences of ∂ℓ_b/∂h_t and ∂ℓ_b/∂c_t. A
 * perturbed c_t also changes tanh c_t and h_t = o_t ⊙ tanh c_t of the same step, which are recomputed with the
 * wrapped kernel's own tanh; the next step reads the perturbed state from the workspace ({@link StepKernel}'s
 * contract).
 */
final class PerturbingKernel implements StepKernel {

    /** Adds {@code epsilon} to element (sequence, unit) of h_step, or of c_step when {@code cell}. */
    record Perturbation(boolean cell, int step, int sequence, int unit, double epsilon) {}

    /** Makes perturbing kernels around the precision's own; {@link #set} chooses what they perturb. */
    static final class Factory implements StepKernel.Factory {
        private final StepKernel.Factory inner;
        private Perturbation perturbation;

        Factory(Precision precision) {
            this.inner = StepKernel.forPrecision(precision);
        }

        /** The perturbation of the passes from now on; null for none. */
        void set(Perturbation p) {
            this.perturbation = p;
        }

        @Override
        public StepKernel bind(ModelSpec spec, Workspace workspace) {
            return new PerturbingKernel(inner.bind(spec, workspace), spec, workspace, this);
        }
    }

    private final StepKernel inner;
    private final Workspace w;
    private final Factory factory;
    private final int h;
    private final int g;
    private final boolean single;

    private PerturbingKernel(StepKernel inner, ModelSpec spec, Workspace w, Factory factory) {
        this.inner = inner;
        this.w = w;
        this.factory = factory;
        this.h = spec.hidden();
        this.g = spec.gateWidth();
        this.single = spec.precision() == Precision.FLOAT32;
    }

    @Override
    public void beginForward(Blas.Matrix bias) {
        inner.beginForward(bias);
    }

    @Override
    public void forward(int t) {
        inner.forward(t);
        Perturbation p = factory.perturbation;
        if (p == null || p.step() != t) {
            return;
        }
        int row = t * w.b + p.sequence();                  // row of step t in the [T·B, ·] tensors
        int state = (row + w.b) * h + p.unit();            // hs and cs hold h_{−1}, c_{−1} in rows 0..B−1
        if (!p.cell()) {
            w.rhs.set(state, add(w.rhs.get(state), p.epsilon()));
            return;
        }
        double c = add(w.rcs.get(state), p.epsilon());
        double tc = single ? FloatMath.tanh((float) c) : DoubleKernel.tanh(c);
        double o = w.rz.get(row * g + 3 * h + p.unit()); // o_t: the activations replaced z_t
        w.rcs.set(state, c);
        w.rtc.set(row * h + p.unit(), tc);
        w.rhs.set(state, single ? (float) o * (float) tc : o * tc);
    }

    /** x + ε in the engine's arithmetic. */
    private double add(double x, double epsilon) {
        return single ? (float) x + (float) epsilon : x + epsilon;
    }

    @Override
    public void backward(int t, ProbeRecorder probes) {
        inner.backward(t, probes);
    }
}
