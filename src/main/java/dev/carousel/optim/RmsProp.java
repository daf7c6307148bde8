package dev.carousel.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * RMSProp (Tieleman &amp; Hinton, COURSERA "Neural Networks for Machine Learning", Lecture 6.5, 2012), in the
 * PyTorch convention (no momentum, not centred, ε added outside the square root, s₀ = 0):
 * <pre>
 *   s ← ρ·s + (1−ρ)·g²          θ ← θ − lr·g / (√s + ε)
 * </pre>
 * There is no bias correction, so the first steps are larger than lr (by 1/√(1−ρ) on step 1), as in PyTorch.
 *
 * <p>State: "ms" (mean square) s [P].
 */
public final class RmsProp implements Optimizer {

    /** Name of the mean-square buffer s [P]. */
    public static final String MS = "ms";

    private final double learningRate;
    private final double rho;
    private final double epsilon;

    /**
     * @param learningRate lr &gt; 0
     * @param rho          ρ in [0, 1)
     * @param epsilon      ε &gt; 0
     */
    public RmsProp(double learningRate, double rho, double epsilon) {
        this.learningRate = Args.require(learningRate, learningRate > 0 && Double.isFinite(learningRate),
                "learningRate");
        this.rho = Args.require(rho, rho >= 0 && rho < 1, "rho");
        this.epsilon = Args.require(epsilon, epsilon > 0 && Double.isFinite(epsilon), "epsilon");
    }

    @Override
    public OptimizerState newState(INDArray params) {
        return OptimizerState.zeros(params, MS);
    }

    @Override
    public void update(INDArray params, INDArray grad, OptimizerState state) {
        Args.checkUpdate(params, grad, state);
        FlatVector theta = FlatVector.of(params);
        FlatVector g = FlatVector.of(grad);
        FlatVector ms = FlatVector.of(state.get(MS));
        // One pass, in double: s ← ρ·s + (1−ρ)·g²; θ ← θ − lr·g / (√s + ε), with s as stored.
        for (int i = 0; i < theta.length(); i++) {
            double gi = g.get(i);
            ms.set(i, rho * ms.get(i) + (1 - rho) * gi * gi);
            theta.set(i, theta.get(i) - learningRate * gi / (Math.sqrt(ms.get(i)) + epsilon));
        }
        state.incrementStep();
    }

    @Override
    public String toString() {
        return "RmsProp{lr=" + learningRate + ", rho=" + rho + ", eps=" + epsilon + "}";
    }
}
