package dev.carousel.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

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
        INDArray m = state.get(M);
        INDArray v = state.get(V);
        INDArray tmp = state.scratch(params);
        long t = state.incrementStep();

        // m ← β1·m + (1−β1)·g
        tmp.assign(grad).muli(1 - beta1);
        m.muli(beta1).addi(tmp);
        // v ← β2·v + (1−β2)·g²
        tmp.assign(grad).muli(grad).muli(1 - beta2);
        v.muli(beta2).addi(tmp);

        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        // tmp ← √(v/bc2) + ε, then tmp ← m / tmp (rdivi: other / this), then θ −= (lr/bc1)·tmp
        tmp.assign(v).divi(bc2);
        Transforms.sqrt(tmp, false).addi(epsilon);
        tmp.rdivi(m).muli(learningRate / bc1);
        params.subi(tmp);
    }

    @Override
    public String toString() {
        return "Adam{lr=" + learningRate + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + epsilon + "}";
    }
}
