package dev.carousel.data;

/**
 * Which stream of generated sequences: training data, the held-out split used for validation during
 * training, or a test split kept for final evaluation. Each is an independent random stream.
 */
public enum Split {
    TRAIN,
    VALIDATION,
    TEST
}
