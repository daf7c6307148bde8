package dev.carousel.sweep;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.spark.DistributedTrainer;
import dev.carousel.train.CurvePoint;
import dev.carousel.train.LocalTrainer;
import dev.carousel.train.RunSetup;
import dev.carousel.train.TrainResult;
import dev.carousel.train.TrainingListener;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Trains one cell under either strategy and turns the result into a {@link CellOutcome}. Both give the same
 * numbers for a cell with {@code distributed.partitions = 1}: the round algorithm on one partition is the local
 * trainer, bit for bit (docs/architecture.md).
 */
final class CellTraining {
    private CellTraining() {}

    /**
     * config-parallel: the whole cell on this JVM (inside one Spark task). The config travels as its canonical
     * HOCON text and is checked against the cell id on arrival.
     */
    static CellOutcome local(String id, String canonicalConfig, EarlyStopping rule, MedianReference reference) {
        CarouselConfig config = ConfigLoader.parse(canonicalConfig, "cell " + id);
        if (!ConfigLoader.hash(config).equals(id)) {
            throw new IllegalStateException("cell " + id + ": its config hashes to " + ConfigLoader.hash(config)
                    + " after shipping; the canonical form does not round-trip");
        }
        Stopping stopping = new Stopping(rule, reference);
        TaskContext task = TaskContext.get();
        TrainResult r = new LocalTrainer(RunSetup.of(config), task == null ? 1 : task.cpus()).run(stopping);
        return CellOutcome.of(id, r, stopping.reason);
    }

    /** data-parallel: rounds of parameter averaging over the cell's {@code distributed.partitions} partitions. */
    static CellOutcome distributed(JavaSparkContext sc, String id, CarouselConfig config, EarlyStopping rule,
                                   MedianReference reference) {
        Stopping stopping = new Stopping(rule, reference);
        TrainResult r = new DistributedTrainer(sc, RunSetup.of(config), DistributedTrainer.Options.NONE).run(stopping);
        return CellOutcome.of(id, r, stopping.reason);
    }

    /** Applies the median stopping rule at each evaluation and remembers why it stopped. */
    private static final class Stopping implements TrainingListener {
        private final EarlyStopping rule;
        private final MedianReference reference;
        private double best = Double.POSITIVE_INFINITY;
        String reason;

        Stopping(EarlyStopping rule, MedianReference reference) {
            this.rule = rule;
            this.reference = reference;
        }

        @Override
        public boolean onEvaluation(CurvePoint point, long totalUpdates) {
            if (Double.isFinite(point.validationLoss())) {
                best = Math.min(best, point.validationLoss());
            }
            if (point.update() >= totalUpdates) {
                return true;
            }
            reason = reference.decide(rule, point.update(), best);
            return reason == null;
        }
    }
}
