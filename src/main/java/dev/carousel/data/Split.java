package dev.carousel.data;

/** Which stream of generated sequences: training data, or the held-out split used for validation. */
public enum Split {
    TRAIN,
    VALIDATION,
    TEST
}
