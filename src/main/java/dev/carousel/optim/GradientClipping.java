package dev.carousel.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradient clipping by global norm (Pascanu, Mikolov &amp; Bengio, "On the difficulty of training recurrent
 * neural networks", ICML 2013): if ‖g‖₂ &gt; τ then g ← g·τ/‖g‖₂. Rescaling keeps the direction, which is why
 * it is preferred over element-wise clipping for exploding gradients through time.
 */
public final class GradientClipping {

    private GradientClipping() {}

    /**
     * Clips {@code grad} [P] in place and returns its L2 norm <em>before</em> clipping, which the caller logs
     * and uses to detect divergence. The norm is accumulated in double
     * ({@link FlatVector#norm2}) and the scaling done in one loop over the array's memory.
     *
     * @param tau threshold τ ≥ 0; τ = 0 disables clipping (the norm is still returned)
     * @return the pre-clip global norm; if it is NaN or infinite, {@code grad} is left untouched (scaling by
     *         τ/∞ = 0 or by NaN would hide the divergence the caller must see)
     */
    public static double clipByGlobalNorm(INDArray grad, double tau) {
        if (!(tau >= 0) || Double.isInfinite(tau)) {
            throw new IllegalArgumentException("tau must be finite and >= 0, got " + tau);
        }
        double norm = FlatVector.norm2(grad);
        if (tau > 0 && Double.isFinite(norm) && norm > tau) {
            FlatVector.scale(grad, tau / norm);
        }
        return norm;
    }
}
