package dev.carousel.train;

/** Receives progress from a {@link LocalTrainer}; may stop training early. */
@FunctionalInterface
public interface TrainingListener {
    /** Called after every evaluation (update 0 first); return false to stop training after this point. */
    boolean onEvaluation(CurvePoint point, long totalUpdates);

    /** Listens to nothing and never stops training. */
    TrainingListener NONE = (point, total) -> true;
}
