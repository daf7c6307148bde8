package dev.carousel.nn;

/**
 * The pointwise part of a time step, forward and backward: everything of a step but its matrix products. A
 * kernel is bound to one {@link Workspace}, reads and writes that workspace's tensors at the step's rows, and
 * owns the Java arrays of one step's [B, ·] blocks that its loops run over. {@link DoubleKernel} computes in
 * float64, {@link FloatKernel} in float32; {@link #forPrecision} chooses once, when a network is made.
 *
 * <p>Shapes as in {@link RecurrentNetwork}; the products a step needs (z_t = x_t·W_x + h_{t−1}·W_h before
 * {@link #forward}, δh_t += δz_{t+1}·W_hᵀ before {@link #backward}) are the caller's.
 *
 * <p>The state between steps lives in the workspace alone: a forward step reads h_{t−1} (through the recurrent
 * product) and c_{t−1} from the rows of hs and cs that the previous step wrote, never from a copy of its own. So a
 * step continues from exactly the state the backward pass reads, and a kernel wrapping another one can change
 * that state between steps.
 */
interface StepKernel {

    /** Makes the kernel of one workspace. */
    @FunctionalInterface
    interface Factory {
        StepKernel bind(ModelSpec spec, Workspace workspace);
    }

    /** The float32 or float64 kernels, by the precision of the network's tensors. */
    static Factory forPrecision(Precision precision) {
        return precision == Precision.FLOAT32 ? FloatKernel::new : DoubleKernel::new;
    }

    /** Starts a forward pass: reads b [G] from θ. */
    void beginForward(Blas.Matrix bias);

    /**
     * Step t forward: from z_t without b (rows t·B.. of z, [B, G]) the gate activations (written over z_t), c_t
     * and tanh c_t (LSTM) and h_t (rows (t+1)·B.. of hs and cs).
     */
    void forward(int t);

    /**
     * Step t backward, from T − 1 down to 0: from δh_t (complete in dh) and the forward pass's tensors, δc_t
     * (LSTM) and δz_t [B, G]; adds the step's probes to {@code probes} unless it is null.
     */
    void backward(int t, ProbeRecorder probes);
}
