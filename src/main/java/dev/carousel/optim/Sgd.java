package dev.carousel.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Stochastic gradient descent with heavy-ball momentum (Polyak 1964), in the PyTorch convention
 * (no dampening, no Nesterov; Sutskever et al. 2013 discuss the variants):
 * <pre>
 *   v ← μ·v + g        θ ← θ − lr·v
 * </pre>
 * With v₀ = 0 the first step is θ − lr·g, as in PyTorch (which initialises v₁ = g).
 *
 * <p>State: "momentum" v [P]. With μ = 0 this is plain SGD, θ ← θ − lr·g, and the state has <em>no</em>
 * buffers: an always-zero buffer would only cost memory, averaging work and an empty checkpoint file.
 */
public final class Sgd implements Optimizer {

    /** Name of the velocity buffer v [P]. */
    public static final String MOMENTUM = "momentum";

    private final double learningRate;
    private final double momentum;

    /**
     * @param learningRate lr &gt; 0
     * @param momentum     μ in [0, 1)
     */
    public Sgd(double learningRate, double momentum) {
        this.learningRate = Args.require(learningRate, learningRate > 0 && Double.isFinite(learningRate),
                "learningRate");
        this.momentum = Args.require(momentum, momentum >= 0 && momentum < 1, "momentum");
    }

    public double learningRate() {
        return learningRate;
    }

    public double momentum() {
        return momentum;
    }

    @Override
    public OptimizerState newState(INDArray params) {
        return momentum == 0 ? OptimizerState.zeros(params) : OptimizerState.zeros(params, MOMENTUM);
    }

    @Override
    public void update(INDArray params, INDArray grad, OptimizerState state) {
        Args.checkUpdate(params, grad, state);
        FlatVector theta = FlatVector.of(params);
        FlatVector g = FlatVector.of(grad);
        if (momentum == 0) {
            for (int i = 0; i < theta.length(); i++) {
                theta.set(i, theta.get(i) - learningRate * g.get(i));
            }
        } else {
            // v ← μ·v + g; θ ← θ − lr·v, with v as stored.
            FlatVector v = FlatVector.of(state.get(MOMENTUM));
            for (int i = 0; i < theta.length(); i++) {
                v.set(i, momentum * v.get(i) + g.get(i));
                theta.set(i, theta.get(i) - learningRate * v.get(i));
            }
        }
        state.incrementStep();
    }

    @Override
    public String toString() {
        return "Sgd{lr=" + learningRate + ", momentum=" + momentum + "}";
    }
}
