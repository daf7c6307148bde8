package dev.carousel.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A first-order optimiser over one flat parameter vector θ [P] (float32 or float64) and its gradient g [P].
 *
 * <p>Implementations are stateless apart from their hyperparameters; everything that evolves lives in the
 * {@link OptimizerState}, so the distributed layer can average and checkpoint it. Gradient clipping is not
 * part of an optimiser: the caller applies {@link GradientClipping#clipByGlobalNorm} to g first.
 */
public interface Optimizer {

    /** A fresh state (zero buffers, step 0) for parameters shaped and typed like {@code params} [P]. */
    OptimizerState newState(INDArray params);

    /**
     * Applies one update, modifying {@code params} [P] and {@code state} in place and incrementing
     * {@link OptimizerState#step()}. {@code grad} [P] is only read. Allocates no arrays: one loop over the
     * arrays' memory ({@link FlatVector}), in double, each result rounded once to the arrays' type.
     *
     * @throws IllegalArgumentException if params, grad and the state's buffers differ in shape or data type, or
     *                                  one is a view into a larger array
     */
    void update(INDArray params, INDArray grad, OptimizerState state);
}
