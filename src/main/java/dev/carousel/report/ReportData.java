package dev.carousel.report;

import dev.carousel.nn.RecurrentInit;
import dev.carousel.stats.Summaries;
import dev.carousel.store.ResultTables;
import dev.carousel.store.Table;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What a report reads from a results folder, on this JVM ({@link Table#read}, no Spark): the {@code runs} rows with
 * their axis and summary columns, the validation-loss curves, the per-round summaries and the ∂ℓ/∂h, ∂ℓ/∂c rows of
 * {@code step_stats} at up to {@value #MAX_ROUNDS} probe rounds. A table that is missing, or a column that older
 * results lack, leaves its values empty and adds a note; summaries a folder lacks are computed here from the rows
 * read ({@link Summaries}), so a single run's folder and an older sweep's get the same figures.
 */
final class ReportData {
    /** How many probe rounds the gradient-flow figures show at most: the first, the last and evenly between. */
    static final int MAX_ROUNDS = 6;

    /** The label of tanh-RNN cells in the setting axis. */
    static final String RNN = "rnn";

    /**
     * One cell: its {@code runs} row. {@code bias} is the initial forget bias of a {@code learned} cell (else null);
     * {@code axes} holds the sweep's {@code axis_*} columns by name; {@code toTarget} null means the target was
     * never reached (or there is none: {@code target} null).
     */
    record RunInfo(String cell, String task, int length, String modelCell, String setting, String mode, Double bias,
                   int hidden, long seed, String status, long updates, Double trainLoss, Double validationLoss,
                   Double metric, String metricName, double wallSeconds, String error, String init,
                   Map<String, Object> axes, Double bestLoss, Double target, Long toTarget) {
        boolean lstm() {
            return !RNN.equals(modelCell);
        }
    }

    record CurveInfo(String cell, long update, double validationLoss) {}

    /** The probes the figures draw: the norms' profiles and heatmaps, and the split of ∂ℓ/∂c ({@link CellTermFigures}). */
    static final Set<String> SHOWN_PROBES = Set.of("dh", "dc", "dc_share", "dc_agreement");

    /** One (cell, round, lag, probe) row of {@code step_stats}: its p10, p50 and p90 (NaN where null). */
    record StatInfo(String cell, long round, int lag, String probe, double p10, double p50, double p90) {}

    final List<RunInfo> runs;
    final Map<String, List<CurveInfo>> curves;
    /** Cell to its round summaries, in update order. */
    final Map<String, List<Summaries.Round>> rounds;
    /** Cell to the {@code step_stats} rows of the shown rounds. */
    final Map<String, List<StatInfo>> stats;
    /** The probe rounds the gradient-flow figures show, ascending. */
    final List<Long> shownRounds;
    /** The axis columns of {@code runs} ({@code axis_*}), with whether each is numeric. */
    final Map<String, Boolean> axisColumns;
    final List<String> notes;

    private ReportData(List<RunInfo> runs, Map<String, List<CurveInfo>> curves, Map<String, List<Summaries.Round>> rounds,
                       Map<String, List<StatInfo>> stats, List<Long> shownRounds, Map<String, Boolean> axisColumns,
                       List<String> notes) {
        this.runs = runs;
        this.curves = curves;
        this.rounds = rounds;
        this.stats = stats;
        this.shownRounds = shownRounds;
        this.axisColumns = axisColumns;
        this.notes = notes;
    }

    static ReportData read(Path dir, Configuration conf) {
        List<String> notes = new ArrayList<>();
        Table runsTable = Table.at(new Path(dir, "runs"), conf);
        Map<String, Boolean> axisColumns = new LinkedHashMap<>();
        List<RunInfo> runs = readRuns(runsTable, axisColumns, notes);
        Map<String, List<CurveInfo>> curves = readCurves(Table.at(new Path(dir, "curves"), conf), notes);
        Table summaryTable = Table.at(new Path(dir, "summaries"), conf);
        Table statTable = Table.at(new Path(dir, "step_stats"), conf);
        Map<String, List<Summaries.Round>> rounds = summaryTable.files().isEmpty() ? new HashMap<>()
                : readSummaries(summaryTable);
        List<Path> statFiles = statTable.files();
        if (statFiles.isEmpty()) {
            notes.add("Table step_stats/ is missing or has no Parquet files.");
        }
        TreeSet<Long> allRounds = new TreeSet<>();
        if (!rounds.isEmpty()) {
            rounds.values().forEach(l -> l.forEach(r -> allRounds.add(r.update())));
        } else if (!statFiles.isEmpty()) {
            statTable.forEachRow(statFiles, ResultTables.STEP_STATS, r -> allRounds.add(r.getLong(0)), "round");
        }
        List<Long> shown = pick(new ArrayList<>(allRounds), MAX_ROUNDS);
        Set<Long> wanted = Set.copyOf(shown);
        Map<String, List<StatInfo>> stats = new HashMap<>();
        if (!statFiles.isEmpty() && !wanted.isEmpty()) {
            statTable.forEachRow(statFiles, ResultTables.STEP_STATS, r -> {
                String probe = r.getString(3);
                if (SHOWN_PROBES.contains(probe) && wanted.contains(r.getLong(1))) {
                    stats.computeIfAbsent(r.getString(0), c -> new ArrayList<>()).add(new StatInfo(r.getString(0),
                            r.getLong(1), r.getInt(2), probe, nan(r, 4), nan(r, 5), nan(r, 6)));
                }
            }, "cell", "round", "lag", "probe", "p10", "p50", "p90");
        }
        if (rounds.isEmpty() && !stats.isEmpty()) {
            rounds.putAll(summariesOf(stats));
        }
        List<RunInfo> withSummaries = new ArrayList<>();
        for (RunInfo r : runs) {
            if (r.target() != null || r.bestLoss() != null || !curves.containsKey(r.cell())) {
                withSummaries.add(r);
                continue;
            }
            // Results without the summary columns: best loss from the curve (the target stays unknown).
            double[] losses = curves.get(r.cell()).stream().mapToDouble(CurveInfo::validationLoss).toArray();
            double best = Summaries.bestLoss(losses);
            withSummaries.add(withBest(r, Double.isNaN(best) ? null : best));
        }
        return new ReportData(withSummaries, curves, rounds, stats, shown, axisColumns, notes);
    }

    private static RunInfo withBest(RunInfo r, Double best) {
        return new RunInfo(r.cell(), r.task(), r.length(), r.modelCell(), r.setting(), r.mode(), r.bias(), r.hidden(),
                r.seed(), r.status(), r.updates(), r.trainLoss(), r.validationLoss(), r.metric(), r.metricName(),
                r.wallSeconds(), r.error(), r.init(), r.axes(), best, r.target(), r.toTarget());
    }

    /** At most {@code n} of {@code sorted}: the first, the last and evenly spaced between. */
    static List<Long> pick(List<Long> sorted, int n) {
        if (sorted.size() <= n) {
            return sorted;
        }
        TreeSet<Long> out = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            out.add(sorted.get((int) Math.round(i * (sorted.size() - 1) / (double) (n - 1))));
        }
        return new ArrayList<>(out);
    }

    private static double nan(Row r, int i) {
        return r.isNullAt(i) ? Double.NaN : r.getDouble(i);
    }

    // ---------------------------------------------------------------- runs

    /** "lstm: <scheme>, gain 1.0": the weight init, which gradient profiles depend on (docs/science.md). */
    private static String initScheme(Row r) {
        String name = r.getAs("recurrent_init");
        // Tables written before model.recurrent-init existed hold orthogonal recurrent blocks.
        RecurrentInit init = name == null ? RecurrentInit.ORTHOGONAL : RecurrentInit.valueOf(name.toUpperCase(Locale.ROOT));
        return r.getAs("model_cell") + ": " + init.scheme() + ", gain " + r.<Double>getAs("rnn_gain");
    }

    private static List<RunInfo> readRuns(Table table, Map<String, Boolean> axisColumns, List<String> notes) {
        List<Path> files = table.files();
        if (files.isEmpty()) {
            notes.add("Table runs/ is missing or has no Parquet files.");
            return List.of();
        }
        StructType logged = table.schema();
        StructType schema = ResultTables.RUNS;
        if (logged != null) {
            for (StructField f : logged.fields()) {
                if (!Arrays.asList(schema.fieldNames()).contains(f.name())) {
                    schema = schema.add(f);
                }
            }
        }
        List<String> names = Arrays.asList(schema.fieldNames());
        for (StructField f : schema.fields()) {
            if (f.name().startsWith("axis_") && !f.name().equals("axis_seed")) {
                axisColumns.put(f.name(), f.dataType().equals(DataTypes.LongType) || f.dataType().equals(DataTypes.DoubleType));
            }
        }
        String[] columns = Arrays.stream(schema.fieldNames()).filter(c -> !c.equals("config")).toArray(String[]::new);
        List<Row> rows = new ArrayList<>();
        table.forEachRow(files, schema, rows::add, columns);
        List<RunInfo> out = new ArrayList<>();
        for (Row r : rows) {
            String model = r.getAs("model_cell");
            String mode = r.getAs("forget_mode");
            String setting = RNN.equals(model) ? RNN
                    : Objects.requireNonNullElse((String) r.getAs("forget_setting"), Objects.requireNonNullElse(mode, model));
            Double bias = "learned".equals(mode) ? parameter(setting) : null;
            Map<String, Object> axes = new LinkedHashMap<>();
            for (String c : axisColumns.keySet()) {
                axes.put(c, r.getAs(c));
            }
            out.add(new RunInfo(r.getAs("cell"), r.getAs("task"), r.<Integer>getAs("task_length"), model, setting, mode,
                    bias, r.<Integer>getAs("hidden"), r.<Long>getAs("seed"), r.getAs("status"), r.<Long>getAs("updates"),
                    r.getAs("final_train_loss"), r.getAs("final_validation_loss"), r.getAs("final_metric"),
                    r.getAs("metric"), r.<Double>getAs("wall_seconds"), note(r), initScheme(r), axes,
                    names.contains("best_validation_loss") ? r.getAs("best_validation_loss") : null,
                    names.contains("target_loss") ? r.getAs("target_loss") : null,
                    names.contains("updates_to_target") ? r.getAs("updates_to_target") : null));
        }
        if (out.isEmpty()) {
            notes.add("Table runs/ is empty.");
        }
        out.sort(Comparator.comparing(RunInfo::task).thenComparingInt(RunInfo::length).thenComparing(RunInfo::setting)
                .thenComparingLong(RunInfo::seed).thenComparing(RunInfo::cell));
        return out;
    }

    /** The number in a setting label such as {@code learned(-1.0)}, or null when there is none. */
    static Double parameter(String setting) {
        int open = setting.indexOf('(');
        int close = setting.lastIndexOf(')');
        if (open < 0 || close < open) {
            return null;
        }
        try {
            return Double.parseDouble(setting.substring(open + 1, close));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** What the cells table says beside the status: the error, why it stopped early, or where it diverged. */
    private static String note(Row r) {
        String error = r.getAs("error");
        String stopped = r.getAs("stopped_by");
        Long diverged = r.getAs("diverged_at");
        return error != null ? error : stopped != null ? stopped : diverged != null ? "diverged at update " + diverged : null;
    }

    // ---------------------------------------------------------------- curves and summaries

    private static Map<String, List<CurveInfo>> readCurves(Table table, List<String> notes) {
        List<Path> files = table.files();
        if (files.isEmpty()) {
            notes.add("Table curves/ is missing or has no Parquet files.");
            return Map.of();
        }
        Map<String, List<CurveInfo>> out = new HashMap<>();
        table.forEachRow(files, ResultTables.CURVES, r -> {
            if (!r.isNullAt(2)) {
                out.computeIfAbsent(r.getString(0), c -> new ArrayList<>()).add(new CurveInfo(r.getString(0), r.getLong(1),
                        r.getDouble(2)));
            }
        }, "cell", "update", "validation_loss");
        out.values().forEach(l -> l.sort(Comparator.comparingLong(CurveInfo::update)));
        return out;
    }

    private static Map<String, List<Summaries.Round>> readSummaries(Table table) {
        Map<String, List<Summaries.Round>> out = new HashMap<>();
        table.forEachRow(table.files(), ResultTables.SUMMARIES, r -> out.computeIfAbsent(r.getString(0),
                c -> new ArrayList<>()).add(new Summaries.Round(r.getLong(1), nan(r, 2), nan(r, 3),
                        r.isNullAt(4) ? -1 : r.getInt(4), r.isNullAt(5) ? -1 : r.getInt(5), nan(r, 6))));
        out.values().forEach(l -> l.sort(Comparator.comparingLong(Summaries.Round::update)));
        return out;
    }

    /** Round summaries computed from {@code step_stats} rows, for results written without a summaries table. */
    private static Map<String, List<Summaries.Round>> summariesOf(Map<String, List<StatInfo>> stats) {
        Map<String, List<Summaries.Round>> out = new HashMap<>();
        stats.forEach((cell, rows) -> {
            Map<Long, List<StatInfo>> byRound = rows.stream().collect(Collectors.groupingBy(StatInfo::round));
            List<Summaries.Round> list = new ArrayList<>();
            for (long round : new TreeSet<>(byRound.keySet())) {
                double[][] dh = profile(byRound.get(round), "dh");
                double[][] dc = profile(byRound.get(round), "dc");
                list.add(new Summaries.Round(round, Summaries.decayRate(dh[0], dh[1]), Summaries.decayRate(dc[0], dc[1]),
                        Summaries.memoryLength(dh[0], dh[1]), Summaries.memoryLength(dc[0], dc[1]), Double.NaN));
            }
            out.put(cell, list);
        });
        return out;
    }

    private static double[][] profile(List<StatInfo> rows, String probe) {
        List<StatInfo> p = rows.stream().filter(s -> s.probe().equals(probe) && s.lag() >= 0 && Double.isFinite(s.p50()))
                .sorted(Comparator.comparingInt(StatInfo::lag)).toList();
        return new double[][] {p.stream().mapToDouble(StatInfo::lag).toArray(), p.stream().mapToDouble(StatInfo::p50).toArray()};
    }

    static double median(double[] values) {
        double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** The summary of {@code cell}'s first and last probe rounds, or null if it has none. */
    Summaries.Round first(String cell) {
        List<Summaries.Round> l = rounds.getOrDefault(cell, Collections.emptyList());
        return l.isEmpty() ? null : l.get(0);
    }

    Summaries.Round last(String cell) {
        List<Summaries.Round> l = rounds.getOrDefault(cell, Collections.emptyList());
        return l.isEmpty() ? null : l.get(l.size() - 1);
    }
}
