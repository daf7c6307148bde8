package dev.carousel.sweep;

import dev.carousel.stats.Summaries;
import dev.carousel.store.ResultTables;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code runs} columns of a sweep: the common ones ({@link ResultTables#RUNS}), then where and when the cell ran
 * ({@code sweep}, {@code started_at}, {@code finished_at}, {@code carousel_version}, {@code git_commit}), then its
 * summaries ({@link #SUMMARY}), then one
 * typed column per axis of the spec, {@code axis_} and the key with every run of other characters than letters and
 * digits made '_' ({@code model.forget-gate.bias} is {@code axis_model_forget_gate_bias}): bigint when every value
 * is an integer, double when every value is a number, else string. A cell that ignores an axis (the forget bias of
 * an RNN) holds null there. So a user sorts, filters and plots cells by axis values with one query.
 */
final class SweepColumns {
    static final StructType PROVENANCE = new StructType()
            .add("sweep", DataTypes.StringType, true)
            .add("started_at", DataTypes.TimestampType, true)
            .add("finished_at", DataTypes.TimestampType, true)
            .add("carousel_version", DataTypes.StringType, true)
            .add("git_commit", DataTypes.StringType, true);

    /**
     * The cell's summaries ({@link Summaries}): its best validation loss, the target loss and the first evaluated
     * update below it (null: never), and the probe-round summaries of its first ({@code _init}) and last
     * ({@code _end}) probed rounds; every round's are in the {@code summaries} table.
     */
    static final StructType SUMMARY = new StructType()
            .add("best_validation_loss", DataTypes.DoubleType, true)
            .add("target_loss", DataTypes.DoubleType, true)
            .add("updates_to_target", DataTypes.LongType, true)
            .add("decay_dh_init", DataTypes.DoubleType, true)
            .add("decay_dc_init", DataTypes.DoubleType, true)
            .add("memory_dh_init", DataTypes.IntegerType, true)
            .add("memory_dc_init", DataTypes.IntegerType, true)
            .add("mean_forget_init", DataTypes.DoubleType, true)
            .add("decay_dh_end", DataTypes.DoubleType, true)
            .add("decay_dc_end", DataTypes.DoubleType, true)
            .add("memory_dh_end", DataTypes.IntegerType, true)
            .add("memory_dc_end", DataTypes.IntegerType, true)
            .add("mean_forget_end", DataTypes.DoubleType, true);

    private SweepColumns() {}

    /** The column of axis {@code key}. */
    static String column(String key) {
        return "axis_" + key.replaceAll("[^A-Za-z0-9]+", "_").toLowerCase(Locale.ROOT);
    }

    /** The {@code runs} schema of {@code spec}'s cells. */
    static StructType schema(SweepSpec spec) {
        StructType s = ResultTables.RUNS;
        for (StructField f : PROVENANCE.fields()) {
            s = s.add(f);
        }
        for (StructField f : SUMMARY.fields()) {
            s = s.add(f);
        }
        for (String key : spec.columns()) {
            String name = column(key);
            if (!List.of(s.fieldNames()).contains(name)) {
                s = s.add(name, type(spec.cells(), key), true);
            }
        }
        return s;
    }

    /**
     * The {@link #SUMMARY} values of a cell with evaluations {@code updates}/{@code losses} and probe rounds
     * {@code rounds}; {@code target} NaN when the cell has no target loss.
     */
    static Object[] summary(long[] updates, double[] losses, double target, List<Summaries.Round> rounds) {
        double best = Summaries.bestLoss(losses);
        long reached = Double.isNaN(target) ? -1 : Summaries.updatesToTarget(updates, losses, target);
        Object[] out = new Object[SUMMARY.size()];
        out[0] = Double.isNaN(best) ? null : best;
        out[1] = Double.isNaN(target) ? null : target;
        out[2] = reached < 0 ? null : reached;
        if (!rounds.isEmpty()) {
            put(out, 3, rounds.get(0));
            put(out, 8, rounds.get(rounds.size() - 1));
        }
        return out;
    }

    private static void put(Object[] out, int at, Summaries.Round r) {
        out[at] = nullIfNaN(r.decayDh());
        out[at + 1] = nullIfNaN(r.decayDc());
        out[at + 2] = r.memoryDh() < 0 ? null : r.memoryDh();
        out[at + 3] = r.memoryDc() < 0 ? null : r.memoryDc();
        out[at + 4] = nullIfNaN(r.meanForget());
    }

    private static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** The narrowest of bigint, double and string that holds every cell's value of {@code key}. */
    static DataType type(List<Cell> cells, String key) {
        boolean integral = true;
        boolean numeric = true;
        for (Cell c : cells) {
            Object v = c.axes().get(key);
            if (v == null) {
                continue;
            }
            if (!(v instanceof Number)) {
                numeric = false;
                integral = false;
            } else if (!(v instanceof Integer || v instanceof Long)) {
                integral = false;
            }
        }
        return integral ? DataTypes.LongType : numeric ? DataTypes.DoubleType : DataTypes.StringType;
    }

    /**
     * The {@code runs} row of {@code cell}: {@code base} (in {@link ResultTables#RUNS} order) with the sweep's
     * columns of {@code schema}.
     */
    static Row row(StructType schema, Row base, String sweep, Instant started, Instant finished, String version,
                   String commit, Object[] summary, Cell cell) {
        Object[] values = new Object[schema.size()];
        for (int i = 0; i < base.length(); i++) {
            values[i] = base.get(i);
        }
        int k = base.length();
        values[k++] = sweep;
        values[k++] = Timestamp.from(started);
        values[k++] = Timestamp.from(finished);
        values[k++] = version;
        values[k++] = commit;
        for (Object v : summary) {
            values[k++] = v;
        }
        for (; k < values.length; k++) {
            StructField f = schema.fields()[k];
            Object v = cell.axes().entrySet().stream().filter(e -> column(e.getKey()).equals(f.name()))
                    .map(java.util.Map.Entry::getValue).findFirst().orElse(null);
            values[k] = v == null ? null : f.dataType().equals(DataTypes.LongType) ? (Object) ((Number) v).longValue()
                    : f.dataType().equals(DataTypes.DoubleType) ? (Object) ((Number) v).doubleValue() : String.valueOf(v);
        }
        return new GenericRowWithSchema(values, schema);
    }
}
