package dev.carousel.store;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.CellType;
import dev.carousel.nn.ForgetGate;
import dev.carousel.nn.Probe;
import dev.carousel.stats.StepStats;
import dev.carousel.stats.StepSummary;
import dev.carousel.stats.Summaries;
import dev.carousel.train.CurvePoint;
import dev.carousel.train.TrainResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The result tables: their schemas and how a result becomes their rows ({@link ParquetFiles} writes and reads
 * them):
 * <ul>
 *   <li>{@code runs}: one row per cell — id (config hash), its parameters as columns, status
 *       ({@code completed}, {@code diverged}, {@code stopped} or {@code failed}), final losses and metric, updates,
 *       the update it diverged at, wall time, error, the early-stopping decision, and the canonical config;</li>
 *   <li>{@code curves}: one row per (cell, evaluation);</li>
 *   <li>{@code step_stats}: one row per (cell, round, t, probe) with count and mean/std/min/max/p10/p50/p90
 *       of the probe's value (log10 for norm probes) and lag = last loss step − t;</li>
 *   <li>{@code summaries}: one row per (cell, round): decay rates and memory lengths of ∂ℓ/∂h and ∂ℓ/∂c and the
 *       mean forget activation ({@link Summaries}).</li>
 * </ul>
 */
public final class ResultTables {
    private ResultTables() {}

    public static final StructType RUNS = new StructType()
            .add("cell", DataTypes.StringType, false)
            .add("task", DataTypes.StringType, false)
            .add("task_length", DataTypes.IntegerType, false)
            .add("model_cell", DataTypes.StringType, false)
            .add("forget_mode", DataTypes.StringType, true)
            .add("forget_setting", DataTypes.StringType, true)
            .add("hidden", DataTypes.IntegerType, false)
            .add("rnn_gain", DataTypes.DoubleType, false)
            .add("recurrent_init", DataTypes.StringType, false)
            .add("optimizer", DataTypes.StringType, false)
            .add("learning_rate", DataTypes.DoubleType, false)
            .add("batch_size", DataTypes.IntegerType, false)
            .add("seed", DataTypes.LongType, false)
            .add("status", DataTypes.StringType, false)
            .add("updates", DataTypes.LongType, false)
            .add("diverged_at", DataTypes.LongType, true)
            .add("final_train_loss", DataTypes.DoubleType, true)
            .add("final_validation_loss", DataTypes.DoubleType, true)
            .add("final_metric", DataTypes.DoubleType, true)
            .add("metric", DataTypes.StringType, false)
            .add("wall_seconds", DataTypes.DoubleType, false)
            .add("error", DataTypes.StringType, true)
            .add("stopped_by", DataTypes.StringType, true)
            .add("config", DataTypes.StringType, false);

    public static final StructType CURVES = new StructType()
            .add("cell", DataTypes.StringType, false)
            .add("update", DataTypes.LongType, false)
            .add("sequences_seen", DataTypes.LongType, false)
            .add("train_loss", DataTypes.DoubleType, true)
            .add("validation_loss", DataTypes.DoubleType, true)
            .add("validation_metric", DataTypes.DoubleType, true)
            .add("grad_norm", DataTypes.DoubleType, true);

    public static final StructType STEP_STATS = new StructType()
            .add("cell", DataTypes.StringType, false)
            .add("round", DataTypes.LongType, false)
            .add("t", DataTypes.IntegerType, false)
            .add("lag", DataTypes.IntegerType, false)
            .add("probe", DataTypes.StringType, false)
            .add("count", DataTypes.LongType, false)
            .add("skipped", DataTypes.LongType, false)
            .add("mean", DataTypes.DoubleType, true)
            .add("std", DataTypes.DoubleType, true)
            .add("min", DataTypes.DoubleType, true)
            .add("max", DataTypes.DoubleType, true)
            .add("p10", DataTypes.DoubleType, true)
            .add("p50", DataTypes.DoubleType, true)
            .add("p90", DataTypes.DoubleType, true);

    /** One row per (cell, probe round): the {@link Summaries.Round} of that round; null where it has no value. */
    public static final StructType SUMMARIES = new StructType()
            .add("cell", DataTypes.StringType, false)
            .add("round", DataTypes.LongType, false)
            .add("decay_dh", DataTypes.DoubleType, true)
            .add("decay_dc", DataTypes.DoubleType, true)
            .add("memory_dh", DataTypes.IntegerType, true)
            .add("memory_dc", DataTypes.IntegerType, true)
            .add("mean_forget", DataTypes.DoubleType, true);

    public static Row runRow(TrainResult r, String metricName, String error) {
        return runRow(r.config(), r.status().name().toLowerCase(), r.updates(), r.divergedAt(),
                r.curve().isEmpty() ? null : r.last(), metricName, r.wallSeconds(), error, null);
    }

    /**
     * The {@code runs} row of one cell.
     *
     * @param status     completed, diverged, stopped or failed
     * @param divergedAt the update at which it diverged, or −1
     * @param last       the last curve point, or null if there is none (a cell that failed before evaluating)
     * @param stoppedBy  the early-stopping decision that stopped it, or null
     */
    public static Row runRow(CarouselConfig c, String status, long updates, long divergedAt, CurvePoint last,
                             String metricName, double wallSeconds, String error, String stoppedBy) {
        boolean lstm = c.model().cell() == CellType.LSTM;
        ForgetGate gate = c.model().forgetGate();
        String data = c.data().isGenerated() ? c.task().name() : c.data().format() + ":" + c.data().path();
        return RowFactory.create(ConfigLoader.hash(c), data, c.task().length(),
                c.model().cell().name().toLowerCase(), lstm ? gate.mode() : null, lstm ? gate.label() : null,
                c.model().hidden(), c.model().rnnGain(), c.model().recurrentInit().configName(), c.optimizer().kind().name().toLowerCase(),
                c.optimizer().learningRate(), c.training().batchSize(), c.seed(), status,
                updates, divergedAt >= 0 ? divergedAt : null,
                last == null ? null : nullIfNaN(last.trainLoss()), last == null ? null : nullIfNaN(last.validationLoss()),
                last == null ? null : nullIfNaN(last.validationMetric()), metricName, wallSeconds, error, stoppedBy,
                ConfigLoader.canonical(c));
    }

    public static List<Row> curveRows(String cell, List<CurvePoint> curve) {
        List<Row> rows = new ArrayList<>();
        for (CurvePoint p : curve) {
            rows.add(RowFactory.create(cell, p.update(), p.sequencesSeen(), nullIfNaN(p.trainLoss()),
                    nullIfNaN(p.validationLoss()), nullIfNaN(p.validationMetric()), nullIfNaN(p.gradNorm())));
        }
        return rows;
    }

    public static List<Row> stepStatRows(String cell, Map<Long, StepStats> byRound) {
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<Long, StepStats> e : byRound.entrySet()) {
            StepStats s = e.getValue();
            int lastLoss = s.lastLossStep().orElse(s.steps() - 1);
            for (Probe p : s.probes()) {
                for (int t = 0; t < s.steps(); t++) {
                    StepSummary m = s.summary(p, t);
                    rows.add(RowFactory.create(cell, e.getKey(), t, lastLoss - t, p.key(), m.count(), m.skipped(),
                            nullIfNaN(m.mean()), nullIfNaN(m.std()), nullIfNaN(m.min()), nullIfNaN(m.max()),
                            nullIfNaN(m.p10()), nullIfNaN(m.p50()), nullIfNaN(m.p90())));
                }
            }
        }
        return rows;
    }

    public static List<Row> summaryRows(String cell, List<Summaries.Round> rounds) {
        List<Row> rows = new ArrayList<>();
        for (Summaries.Round r : rounds) {
            rows.add(RowFactory.create(cell, r.update(), nullIfNaN(r.decayDh()), nullIfNaN(r.decayDc()),
                    r.memoryDh() < 0 ? null : r.memoryDh(), r.memoryDc() < 0 ? null : r.memoryDc(),
                    nullIfNaN(r.meanForget())));
        }
        return rows;
    }

    private static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
