package dev.carousel.data;

/** The per-step loss a task is scored with. */
public enum LossKind {
    /** Mean squared error over the output units: (1/O) Σ_o (y_o − target_o)². */
    MSE,
    /** Softmax cross-entropy against a one-hot target: −Σ_o target_o · log softmax(y)_o. */
    CROSS_ENTROPY
}
