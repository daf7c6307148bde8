package dev.carousel.ml;

import dev.carousel.config.ConfigLoader;
import dev.carousel.store.ResultTables;
import dev.carousel.train.CurvePoint;
import dev.carousel.train.RunSetup;
import dev.carousel.train.RunStatus;
import dev.carousel.train.TrainResult;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What a fit recorded, as {@code carousel train} writes it: the learning curve and the per-step gradient statistics,
 * as DataFrames with the schemas of the run's {@code curves} and {@code step_stats} tables
 * ({@link ResultTables#CURVES}, {@link ResultTables#STEP_STATS}; {@code cell} is the config hash). Held by the model
 * a fit returns; a model loaded from disk has none (MLlib's convention for training summaries).
 */
public final class TrainingSummary {
    private final SparkSession spark;
    private final String cell;
    private final TrainResult result;

    TrainingSummary(SparkSession spark, RunSetup setup, TrainResult result) {
        this.spark = spark;
        this.cell = ConfigLoader.hash(setup.config());
        this.result = result;
    }

    /** One row per evaluation: update, sequences seen, train and validation loss, validation metric, gradient norm. */
    public Dataset<Row> curve() {
        return spark.createDataFrame(ResultTables.curveRows(cell, result.curve()), ResultTables.CURVES);
    }

    /** One row per (probe round, t, probe): lag, count, mean, std, min, max, p10, p50, p90 (log10 for norms). */
    public Dataset<Row> stepStats() {
        return spark.createDataFrame(ResultTables.stepStatRows(cell, result.stepStats()), ResultTables.STEP_STATS);
    }

    /** The curve's points, as the trainer returned them. */
    public List<CurvePoint> curvePoints() {
        return result.curve();
    }

    /** Completed, or diverged (a loss, gradient or parameter turned non-finite; the model holds the last finite θ). */
    public RunStatus status() {
        return result.status();
    }

    /** Optimiser updates applied (per partition). */
    public long updates() {
        return result.updates();
    }

    public double wallSeconds() {
        return result.wallSeconds();
    }
}
