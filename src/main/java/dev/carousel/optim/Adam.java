package dev.carousel.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Adam (Kingma &amp; Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1), with t the
 * update count after incrementing (t = 1 on the first update):
 * <pre>
 *   m ← β1·m + (1−β1)·g          v ← β2·v + (1−β2)·g²
 *   m̂ = m / (1−β1^t)             v̂ = v / (1−β2^t)
 *   θ ← θ − lr·m̂ / (√v̂ + ε)
 * </pre>
 * ε is added to √v̂ (the paper's and PyTorch's placement), not to √v as in the paper's "efficient" rewrite
 * or DL4J's updater; the two differ when v is small, so we follow the stated formula exactly.
 *
 * <p>State: "m" and "v" [P]; {@link OptimizerState#step()} is t.
 */
public final class Adam implements Optimizer {

    /** Name of the first-moment buffer m [P]. */
    public static final String M = "m";
    /** Name of the second-moment buffer v [P]. */
    public static final String V = "v";

    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;

    /**
     * @param learningRate lr &gt; 0
     * @param beta1        β1 in [0, 1)
     * @param beta2        β2 in [0, 1)
     * @param epsilon      ε &gt; 0
     */
    public Adam(double learningRate, double beta1, double beta2, double epsilon) {
        this.learningRate = Args.require(learningRate, learningRate > 0 && Double.isFinite(learningRate),
                "learningRate");
        this.beta1 = Args.require(beta1, beta1 >= 0 && beta1 < 1, "beta1");
        this.beta2 = Args.require(beta2, beta2 >= 0 && beta2 < 1, "beta2");
        this.epsilon = Args.require(epsilon, epsilon > 0 && Double.isFinite(epsilon), "epsilon");
    }

    @Override
    public OptimizerState newState(INDArray params) {
        return OptimizerState.zeros(params, M, V);
    }

    @Override
    public void update(INDArray params, INDArray grad, OptimizerState state) {
        Args.checkUpdate(params, grad, state);
        FlatVector theta = FlatVector.of(params);
        FlatVector g = FlatVector.of(grad);
        FlatVector m = FlatVector.of(state.get(M));
        FlatVector v = FlatVector.of(state.get(V));
        long t = state.incrementStep();
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        double step = learningRate / bc1;
        // One pass, in double: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − (lr/bc1)·m / (√(v/bc2) + ε),
        // with m and v as stored (rounded to the array's type), so the update uses exactly the state it leaves.
        for (int i = 0; i < theta.length(); i++) {
            double gi = g.get(i);
            m.set(i, beta1 * m.get(i) + (1 - beta1) * gi);
            v.set(i, beta2 * v.get(i) + (1 - beta2) * gi * gi);
            theta.set(i, theta.get(i) - step * m.get(i) / (Math.sqrt(v.get(i) / bc2) + epsilon));
        }
    }

    @Override
    public String toString() {
        return "Adam{lr=" + learningRate + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + epsilon + "}";
    }
}
