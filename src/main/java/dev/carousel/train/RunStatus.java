package dev.carousel.train;

/** How a training run ended. */
public enum RunStatus {
    /** All configured updates ran. */
    COMPLETED,
    /** Loss, gradient or parameters became NaN/Inf; training stopped at that update. */
    DIVERGED,
    /** A listener asked to stop early (e.g. a target metric was reached). */
    STOPPED
}
