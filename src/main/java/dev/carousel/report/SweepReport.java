package dev.carousel.report;

import dev.carousel.nn.RecurrentInit;
import dev.carousel.store.ResultTables;
import dev.carousel.store.Table;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A self-contained HTML report of a sweep's result tables ({@code runs/}, {@code curves/}, {@code step_stats/}
 * of {@link ResultTables}): {@code index.html} with inline CSS and PNG figures next to it, drawn headless with
 * XChart. Per (task, T):
 * <ol type="a">
 *   <li>heatmaps of the median log10 ‖∂ℓ/∂h‖ (p50) by lag × forget-gate setting, at initialisation (first
 *       probed round of each cell) and at the end (last probed round of each cell), seeds aggregated by median;</li>
 *   <li>∂ℓ/∂h and ∂ℓ/∂c against lag at initialisation, one curve (median over seeds of p50) per setting with
 *       dashed p10 and p90 lines, one figure per probe;</li>
 *   <li>the final task metric per setting, mean ± s.d. over seeds;</li>
 *   <li>validation loss against update, one line per cell, coloured by setting;</li>
 * </ol>
 * and (e) a table of all cells with status and final metric. Missing tables, probes (∂ℓ/∂c of RNN cells) or
 * values skip the series or figure and are listed in the report. The tables are read on this JVM
 * ({@link Table#read}), not through Spark.
 */
public final class SweepReport {
    /** Size of every figure, in pixels. */
    public static final int WIDTH = 900;
    public static final int HEIGHT = 560;

    /** How many decades of log10 norms a heatmap's colour scale spans at most. */
    static final int COLOUR_DECADES = 8;

    /** The label of tanh-RNN cells in the setting axis. */
    public static final String RNN = "rnn";

    private static final Color[] PALETTE = {
        new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
        new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
        new Color(188, 189, 34), new Color(23, 190, 207)};

    private SweepReport() {}

    /** What was written: the HTML page, the figure files (in page order) and the notes on what was skipped. */
    public record Report(Path index, List<Path> figures, List<String> notes) {}

    record RunInfo(String cell, String task, int length, String modelCell, String setting, int hidden, long seed,
                   String status, long updates, Double trainLoss, Double validationLoss, Double metric,
                   String metricName, double wallSeconds, String error, String init) {}

    record CurveInfo(String cell, long update, double validationLoss) {}

    record StatInfo(String cell, long round, int lag, String probe, Double p10, Double p50, Double p90) {}

    /** The cells of one task and length; {@code report} is the report's title, which every chart repeats. */
    record Group(String report, String task, int length) {
        /** What a chart's title says: the report (e.g. the sweep), the task and T. */
        String chartLabel() {
            return report + " — " + label();
        }

        String slug() {
            return task.replaceAll("[^A-Za-z0-9]+", "_") + "-T" + length;
        }

        String label() {
            return "task " + task + ", T = " + length;
        }
    }

    private record Figure(String file, String caption) {}

    /** {@link #write(org.apache.hadoop.fs.Path, Configuration, Path, String)} for a local results folder. */
    public static Report write(Path resultsDir, Path reportDir, String title) throws IOException {
        return write(dev.carousel.store.Storage.local(resultsDir), new Configuration(), reportDir, title);
    }

    /**
     * Writes the report of the tables in {@code resultsDir} (any Hadoop file system) into the local folder
     * {@code reportDir}.
     */
    public static Report write(org.apache.hadoop.fs.Path resultsDir, Configuration conf, Path reportDir, String title)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(reportDir);
        List<String> notes = new ArrayList<>();

        List<RunInfo> runs = readRuns(Table.at(new org.apache.hadoop.fs.Path(resultsDir, "runs"), conf), notes);
        List<CurveInfo> curves = readCurves(Table.at(new org.apache.hadoop.fs.Path(resultsDir, "curves"), conf), notes);
        List<StatInfo> stats = readStats(Table.at(new org.apache.hadoop.fs.Path(resultsDir, "step_stats"), conf), notes);

        Map<String, RunInfo> byCell = new LinkedHashMap<>();
        for (RunInfo r : runs) {
            byCell.put(r.cell(), r);
        }
        long orphanStats = stats.stream().map(StatInfo::cell).distinct().filter(c -> !byCell.containsKey(c)).count();
        if (orphanStats > 0) {
            notes.add(orphanStats + " cell(s) in step_stats have no row in runs and are left out of the figures.");
        }
        List<String> settings = settingOrder(runs);
        Map<String, Color> colours = new LinkedHashMap<>();
        for (int i = 0; i < settings.size(); i++) {
            colours.put(settings.get(i), PALETTE[i % PALETTE.length]);
        }

        TreeMap<Group, List<RunInfo>> groups = new TreeMap<>(Comparator.comparing(Group::task).thenComparingInt(Group::length));
        for (RunInfo r : runs) {
            groups.computeIfAbsent(new Group(title, r.task(), r.length()), g -> new ArrayList<>()).add(r);
        }
        Map<String, List<StatInfo>> statsByCell = stats.stream().collect(Collectors.groupingBy(StatInfo::cell));
        Map<String, List<CurveInfo>> curvesByCell = curves.stream().collect(Collectors.groupingBy(CurveInfo::cell));

        StringBuilder body = new StringBuilder();
        List<Path> figures = new ArrayList<>();
        int[] figureNo = {0};
        for (Map.Entry<Group, List<RunInfo>> e : groups.entrySet()) {
            Group g = e.getKey();
            List<RunInfo> cells = e.getValue();
            List<String> groupNotes = new ArrayList<>();
            List<Figure> groupFigures = new ArrayList<>();
            String prefix = title + " — " + g.label();

            // (a) heatmaps of dh by lag x setting, at initialisation and at the end.
            Map<String, List<StatInfo>> initial = new LinkedHashMap<>();
            Map<String, List<StatInfo>> last = new LinkedHashMap<>();
            long[] initRounds = {Long.MAX_VALUE, Long.MIN_VALUE};
            long[] endRounds = {Long.MAX_VALUE, Long.MIN_VALUE};
            for (RunInfo r : cells) {
                List<StatInfo> s = statsByCell.getOrDefault(r.cell(), List.of());
                if (s.isEmpty()) {
                    continue;
                }
                long r0 = s.stream().mapToLong(StatInfo::round).min().getAsLong();
                long r1 = s.stream().mapToLong(StatInfo::round).max().getAsLong();
                initial.put(r.cell(), s.stream().filter(x -> x.round() == r0).toList());
                last.put(r.cell(), s.stream().filter(x -> x.round() == r1).toList());
                initRounds[0] = Math.min(initRounds[0], r0);
                initRounds[1] = Math.max(initRounds[1], r0);
                endRounds[0] = Math.min(endRounds[0], r1);
                endRounds[1] = Math.max(endRounds[1], r1);
            }
            if (initial.isEmpty()) {
                groupNotes.add("No step statistics for these cells: gradient-flow figures (a) and (b) skipped.");
            } else {
                Profile init = profile(cells, initial, "dh", settings);
                Profile end = profile(cells, last, "dh", settings);
                if (init.isEmpty() && end.isEmpty()) {
                    groupNotes.add("No dh values in step_stats: heatmaps (a) skipped.");
                } else {
                    double lo = Math.min(init.min(), end.min());
                    double hi = Math.max(init.max(), end.max());
                    if (!(hi > lo)) {
                        hi = lo + 1;
                    }
                    lo = Math.floor(lo * 10) / 10; // round the colour scale so its legend reads -5.6 … -1.0
                    hi = Math.ceil(hi * 10) / 10;
                    // One setting that vanishes by tens of decades (forget bias -2 does) would stretch the scale
                    // until every other row is one colour: colours span at most COLOUR_DECADES below the top.
                    String scale = "";
                    if (hi - lo > COLOUR_DECADES) {
                        scale = String.format(Locale.ROOT, " Colours span the %d decades below the largest value: the "
                                + "darkest blue means %.1f or less (the smallest value is %.1f).", COLOUR_DECADES,
                                hi - COLOUR_DECADES, lo);
                        lo = hi - COLOUR_DECADES;
                    }
                    addHeatmap(groupFigures, groupNotes, reportDir, g, init, lo, hi, "init",
                            prefix + ": median log10 ‖∂ℓ/∂h_t‖ (p50 over sequences, median over seeds) by lag and "
                                    + "forget-gate setting, at initialisation (round " + range(initRounds) + ")." + scale);
                    addHeatmap(groupFigures, groupNotes, reportDir, g, end, lo, hi, "end",
                            prefix + ": median log10 ‖∂ℓ/∂h_t‖ (p50 over sequences, median over seeds) by lag and "
                                    + "forget-gate setting, at the end of training (last probed round of each cell, "
                                    + "round " + range(endRounds) + "). Same colour scale as at initialisation." + scale);
                }
                // (b) dh and dc against lag with p10-p90 lines, at initialisation.
                for (String probe : List.of("dh", "dc")) {
                    Profile p = profile(cells, initial, probe, settings);
                    List<String> missing = settings.stream().filter(s -> cells.stream().anyMatch(r -> r.setting().equals(s)))
                            .filter(s -> !p.bySetting().containsKey(s)).toList();
                    if (p.isEmpty()) {
                        groupNotes.add("No " + probe + " values at initialisation: its lag profile (b) skipped.");
                        continue;
                    }
                    if (!missing.isEmpty()) {
                        groupNotes.add("Lag profile of " + probe + ": no values for " + String.join(", ", missing)
                                + (probe.equals("dc") ? " (no cell state)" : "") + "; those series are left out.");
                    }
                    String file = "profile-" + probe + "-" + g.slug() + "-init.png";
                    save(lagProfileChart(p, probe, colours, g), reportDir.resolve(file));
                    groupFigures.add(new Figure(file, prefix + ": log10 ‖∂ℓ/∂" + (probe.equals("dh") ? "h" : "c")
                            + "_t‖ against lag at initialisation (round " + range(initRounds) + "), one curve per setting: "
                            + "solid the median over sequences (p50), dashed p10 and p90; each the median over seeds."));
                }
            }

            // (c) final metric per setting.
            Figure metric = metricChart(reportDir, g, cells, settings, prefix, groupNotes);
            if (metric != null) {
                groupFigures.add(metric);
            }
            // (d) validation loss curves.
            Figure loss = lossChart(reportDir, g, cells, curvesByCell, colours, prefix, groupNotes);
            if (loss != null) {
                groupFigures.add(loss);
            }

            body.append("<section>\n<h2>").append(esc(g.label())).append("</h2>\n<p class=\"meta\">")
                    .append(cells.size()).append(" cell(s), settings: ")
                    .append(esc(String.join(", ", settings.stream().filter(s -> cells.stream().anyMatch(r -> r.setting().equals(s))).toList())))
                    .append("</p>\n");
            for (Figure f : groupFigures) {
                figureNo[0]++;
                figures.add(reportDir.resolve(f.file()));
                body.append("<figure><img src=\"").append(esc(f.file())).append("\" width=\"").append(WIDTH)
                        .append("\" height=\"").append(HEIGHT).append("\" alt=\"").append(esc(f.caption()))
                        .append("\"><figcaption><b>Figure ").append(figureNo[0]).append(".</b> ")
                        .append(esc(f.caption())).append("</figcaption></figure>\n");
            }
            if (!groupNotes.isEmpty()) {
                body.append("<div class=\"notes\"><b>Skipped:</b><ul>\n");
                for (String n : groupNotes) {
                    body.append("<li>").append(esc(n)).append("</li>\n");
                }
                body.append("</ul></div>\n");
            }
            body.append("</section>\n");
            for (String n : groupNotes) {
                notes.add(g.label() + ": " + n);
            }
        }
        if (groups.isEmpty()) {
            notes.add("No cells in runs: no figures.");
        }

        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(esc(title))
                .append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<h1>").append(esc(title))
                .append("</h1>\n<p class=\"meta\">").append(runs.size()).append(" cell(s) in ").append(groups.size())
                .append(" (task, T) group(s); ").append(statusCounts(runs)).append(". Results: <code>")
                .append(esc(resultsDir.toString())).append("</code></p>\n");
        List<String> inits = runs.stream().map(RunInfo::init).distinct().sorted().toList();
        if (!inits.isEmpty()) {
            html.append("<p class=\"meta\">Weight init: ").append(esc(String.join("; ", inits))).append(".</p>\n");
        }
        List<String> globalNotes = notes.stream().filter(n -> groups.keySet().stream().noneMatch(g -> n.startsWith(g.label() + ": "))).toList();
        if (!globalNotes.isEmpty()) {
            html.append("<div class=\"notes\"><b>Notes:</b><ul>\n");
            for (String n : globalNotes) {
                html.append("<li>").append(esc(n)).append("</li>\n");
            }
            html.append("</ul></div>\n");
        }
        html.append(body);
        html.append(cellsTable(runs));
        html.append("</body>\n</html>\n");
        Path index = reportDir.resolve("index.html");
        Files.writeString(index, html.toString(), StandardCharsets.UTF_8);
        return new Report(index, List.copyOf(figures), List.copyOf(notes));
    }

    // ---------------------------------------------------------------- reading

    /** Whether table {@code dir} has a Parquet file a reader takes; if not, a note says so. */
    private static boolean present(List<org.apache.hadoop.fs.Path> files, String name, List<String> notes) {
        boolean present = !files.isEmpty();
        if (!present) {
            notes.add("Table " + name + "/ is missing or has no Parquet files.");
        }
        return present;
    }

    /** "lstm: <scheme>, gain 1.0": the weight init, which gradient profiles depend on (docs/science.md). */
    private static String initScheme(Row r) {
        String name = r.getAs("recurrent_init");
        // Tables written before model.recurrent-init existed hold orthogonal recurrent blocks.
        RecurrentInit init = name == null ? RecurrentInit.ORTHOGONAL : RecurrentInit.valueOf(name.toUpperCase(Locale.ROOT));
        return r.getAs("model_cell") + ": " + init.scheme() + ", gain " + r.<Double>getAs("rnn_gain");
    }

    static List<RunInfo> readRuns(Table table, List<String> notes) {
        List<org.apache.hadoop.fs.Path> files = table.files();
        if (!present(files, "runs", notes)) {
            return List.of();
        }
        List<RunInfo> out = new ArrayList<>();
        String[] columns = Stream.of(ResultTables.RUNS.fieldNames()).filter(c -> !c.equals("config"))
                .toArray(String[]::new);
        List<Row> rows = new ArrayList<>();
        table.forEachRow(files, ResultTables.RUNS, rows::add, columns);
        for (Row r : rows) {
            String model = r.getAs("model_cell");
            String setting = RNN.equals(model) ? RNN
                    : Objects.requireNonNullElse((String) r.getAs("forget_setting"),
                            Objects.requireNonNullElse((String) r.getAs("forget_mode"), model));
            out.add(new RunInfo(r.getAs("cell"), r.getAs("task"), r.<Integer>getAs("task_length"), model, setting,
                    r.<Integer>getAs("hidden"), r.<Long>getAs("seed"), r.getAs("status"), r.<Long>getAs("updates"),
                    r.getAs("final_train_loss"), r.getAs("final_validation_loss"), r.getAs("final_metric"),
                    r.getAs("metric"), r.<Double>getAs("wall_seconds"), note(r), initScheme(r)));
        }
        if (out.isEmpty()) {
            notes.add("Table runs/ is empty.");
        }
        out.sort(Comparator.comparing(RunInfo::task).thenComparingInt(RunInfo::length).thenComparing(RunInfo::setting)
                .thenComparingLong(RunInfo::seed).thenComparing(RunInfo::cell));
        return out;
    }

    /** What the cells table says beside the status: the error, why it stopped early, or where it diverged. */
    private static String note(Row r) {
        String error = r.getAs("error");
        String stopped = r.getAs("stopped_by");
        Long diverged = r.getAs("diverged_at");
        return error != null ? error : stopped != null ? stopped : diverged != null ? "diverged at update " + diverged : null;
    }

    static List<CurveInfo> readCurves(Table table, List<String> notes) {
        List<org.apache.hadoop.fs.Path> files = table.files();
        if (!present(files, "curves", notes)) {
            return List.of();
        }
        List<CurveInfo> out = new ArrayList<>();
        table.forEachRow(files, ResultTables.CURVES, r -> {
            if (!r.isNullAt(2)) {
                out.add(new CurveInfo(r.getString(0), r.getLong(1), r.getDouble(2)));
            }
        }, "cell", "update", "validation_loss");
        out.sort(Comparator.comparing(CurveInfo::cell).thenComparingLong(CurveInfo::update));
        if (out.isEmpty()) {
            notes.add("Table curves/ has no validation losses.");
        }
        return out;
    }

    /** Only what the figures use: probes dh and dc, at each cell's first and last probed round. */
    static List<StatInfo> readStats(Table table, List<String> notes) {
        // Two passes over one listing of the files (a sweep may commit more meanwhile): each cell's first and
        // last probed round, then the rows of those rounds.
        List<org.apache.hadoop.fs.Path> files = table.files();
        if (!present(files, "step_stats", notes)) {
            return List.of();
        }
        Map<String, long[]> rounds = new HashMap<>();
        table.forEachRow(files, ResultTables.STEP_STATS, r -> {
            long round = r.getLong(1);
            long[] range = rounds.computeIfAbsent(r.getString(0), c -> new long[] {round, round});
            range[0] = Math.min(range[0], round);
            range[1] = Math.max(range[1], round);
        }, "cell", "round");
        List<StatInfo> out = new ArrayList<>();
        table.forEachRow(files, ResultTables.STEP_STATS, r -> {
            long[] range = rounds.get(r.getString(0));
            long round = r.getLong(1);
            String probe = r.getString(3);
            if ((probe.equals("dh") || probe.equals("dc")) && (round == range[0] || round == range[1])) {
                out.add(new StatInfo(r.getString(0), round, r.getInt(2), probe,
                        r.isNullAt(4) ? null : r.getDouble(4), r.isNullAt(5) ? null : r.getDouble(5),
                        r.isNullAt(6) ? null : r.getDouble(6)));
            }
        }, "cell", "round", "lag", "probe", "p10", "p50", "p90");
        if (out.isEmpty()) {
            notes.add("Table step_stats/ has no dh or dc rows.");
        }
        return out;
    }

    /** LSTM settings in alphabetical order, then the RNN. */
    static List<String> settingOrder(List<RunInfo> runs) {
        // By mode, then by its parameter as a number: learned(-2.0) before learned(-1.0), not after learned(0.0).
        TreeSet<String> lstm = new TreeSet<>(Comparator.comparing((String x) -> x.replaceFirst("\\(.*", ""))
                .thenComparingDouble(SweepReport::settingParameter).thenComparing(Comparator.naturalOrder()));
        boolean rnn = false;
        for (RunInfo r : runs) {
            if (r.setting().equals(RNN)) {
                rnn = true;
            } else {
                lstm.add(r.setting());
            }
        }
        List<String> out = new ArrayList<>(lstm);
        if (rnn) {
            out.add(RNN);
        }
        return out;
    }

    /** The number in a setting label such as {@code learned(-1.0)}; NaN-free: 0 when there is none. */
    private static double settingParameter(String setting) {
        int open = setting.indexOf('(');
        int close = setting.lastIndexOf(')');
        if (open < 0 || close < open) {
            return 0;
        }
        try {
            return Double.parseDouble(setting.substring(open + 1, close));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ---------------------------------------------------------------- aggregation

    /** Per setting, per lag: median over the setting's cells of p10, p50 and p90. */
    record Profile(Map<String, TreeMap<Integer, double[]>> bySetting) {
        boolean isEmpty() {
            return bySetting.isEmpty();
        }

        double min() {
            return bySetting.values().stream().flatMap(m -> m.values().stream()).mapToDouble(v -> v[1]).min().orElse(Double.NaN);
        }

        double max() {
            return bySetting.values().stream().flatMap(m -> m.values().stream()).mapToDouble(v -> v[1]).max().orElse(Double.NaN);
        }

        TreeSet<Integer> lags() {
            TreeSet<Integer> out = new TreeSet<>();
            bySetting.values().forEach(m -> out.addAll(m.keySet()));
            return out;
        }
    }

    static Profile profile(List<RunInfo> cells, Map<String, List<StatInfo>> statsByCell, String probe, List<String> order) {
        Map<String, TreeMap<Integer, List<double[]>>> acc = new TreeMap<>();
        for (RunInfo r : cells) {
            for (StatInfo s : statsByCell.getOrDefault(r.cell(), List.of())) {
                if (s.probe().equals(probe) && s.p50() != null) {
                    acc.computeIfAbsent(r.setting(), k -> new TreeMap<>()).computeIfAbsent(s.lag(), k -> new ArrayList<>())
                            .add(new double[] {nan(s.p10()), s.p50(), nan(s.p90())});
                }
            }
        }
        Map<String, TreeMap<Integer, double[]>> out = new LinkedHashMap<>();
        for (String setting : order) {
            TreeMap<Integer, List<double[]>> byLag = acc.get(setting);
            if (byLag == null) {
                continue;
            }
            TreeMap<Integer, double[]> m = new TreeMap<>();
            byLag.forEach((lag, vs) -> m.put(lag, new double[] {
                median(vs.stream().mapToDouble(v -> v[0]).toArray()),
                median(vs.stream().mapToDouble(v -> v[1]).toArray()),
                median(vs.stream().mapToDouble(v -> v[2]).toArray())}));
            out.put(setting, m);
        }
        return new Profile(out);
    }

    static double median(double[] values) {
        double[] v = java.util.Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static double nan(Double d) {
        return d == null ? Double.NaN : d;
    }

    // ---------------------------------------------------------------- figures

    private static void addHeatmap(List<Figure> figures, List<String> notes, Path reportDir, Group g, Profile p,
                                   double lo, double hi, String when, String caption) throws IOException {
        if (p.isEmpty()) {
            notes.add("No dh values " + (when.equals("init") ? "at initialisation" : "at the end") + ": that heatmap skipped.");
            return;
        }
        HeatMapChart chart = heatmapChart(g, p, lo, hi, when);
        String file = "heatmap-dh-" + g.slug() + "-" + when + ".png";
        save(chart, reportDir.resolve(file));
        figures.add(new Figure(file, caption));
    }

    /**
     * The heatmap of {@code p}'s medians on the colour scale [lo, hi]. Values are clamped to just below {@code hi}:
     * XChart 3.8.8's gradient lookup indexes past its colour array when (v − lo)/(hi − lo) rounds to 1 for a v
     * below hi (PlotContent_HeatMap.getGradientColor).
     */
    static HeatMapChart heatmapChart(Group g, Profile p, double lo, double hi, String when) {
        List<Integer> lags = new ArrayList<>(p.lags());
        List<String> rows = new ArrayList<>(p.bySetting().keySet());
        List<Number[]> cellsData = new ArrayList<>();
        double ceiling = hi - 1e-9 * (hi - lo);
        for (int y = 0; y < rows.size(); y++) {
            TreeMap<Integer, double[]> m = p.bySetting().get(rows.get(y));
            for (int x = 0; x < lags.size(); x++) {
                double[] v = m.get(lags.get(x));
                if (v != null && !Double.isNaN(v[1])) {
                    cellsData.add(new Number[] {x, y, Math.max(lo, Math.min(v[1], ceiling))});
                }
            }
        }
        HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT)
                .title("log10 ‖∂ℓ/∂h‖ (median), " + g.chartLabel() + (when.equals("init") ? ", initialisation" : ", end"))
                .xAxisTitle("lag (steps before the last loss step)").yAxisTitle("forget-gate setting").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setMin(lo).setMax(hi);
        chart.getStyler().setShowValue(lags.size() * rows.size() <= 120);
        chart.getStyler().setHeatMapValueDecimalPattern("0.0");
        chart.getStyler().setRangeColors(new Color[] {new Color(49, 54, 149), new Color(116, 173, 209),
            new Color(255, 255, 191), new Color(244, 109, 67), new Color(165, 0, 38)});
        chart.getStyler().setXAxisMaxLabelCount(25);
        chart.addSeries("log10 ‖∂ℓ/∂h‖", lags, rows, cellsData);
        return chart;
    }

    private static XYChart lagProfileChart(Profile p, String probe, Map<String, Color> colours, Group g) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("log10 ‖∂ℓ/∂" + (probe.equals("dh") ? "h" : "c") + "‖ by lag at initialisation, " + g.chartLabel())
                .xAxisTitle("lag (steps before the last loss step)").yAxisTitle("log10 norm (p50; dashed p10, p90)").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setXAxisDecimalPattern("0");
        for (Map.Entry<String, TreeMap<Integer, double[]>> e : p.bySetting().entrySet()) {
            String setting = e.getKey();
            Color c = colours.getOrDefault(setting, Color.BLACK);
            List<Integer> lags = new ArrayList<>(e.getValue().keySet());
            XYSeries mid = chart.addSeries(setting, lags, column(e.getValue(), 1));
            mid.setLineColor(c);
            mid.setMarkerColor(c);
            mid.setMarker(lags.size() <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            mid.setLineWidth(2f);
            for (int k : new int[] {0, 2}) {
                List<Double> band = column(e.getValue(), k);
                if (band.stream().allMatch(d -> d.isNaN())) {
                    continue;
                }
                XYSeries s = chart.addSeries(setting + (k == 0 ? " p10" : " p90"), lags, band);
                s.setLineColor(c);
                s.setMarker(SeriesMarkers.NONE);
                s.setLineStyle(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f));
                s.setShowInLegend(false);
            }
        }
        return chart;
    }

    private static List<Double> column(TreeMap<Integer, double[]> m, int k) {
        return m.values().stream().map(v -> v[k]).toList();
    }

    private static Figure metricChart(Path reportDir, Group g, List<RunInfo> cells, List<String> order, String prefix,
                                      List<String> notes) throws IOException {
        List<String> categories = new ArrayList<>();
        List<Double> means = new ArrayList<>();
        List<Double> sds = new ArrayList<>();
        List<String> noMetric = new ArrayList<>();
        for (String setting : order) {
            List<RunInfo> of = cells.stream().filter(r -> r.setting().equals(setting)).toList();
            if (of.isEmpty()) {
                continue;
            }
            double[] v = of.stream().map(RunInfo::metric).filter(Objects::nonNull).mapToDouble(Double::doubleValue)
                    .filter(d -> !Double.isNaN(d)).toArray();
            if (v.length == 0) {
                noMetric.add(setting);
                continue;
            }
            double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
            double ss = java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum();
            categories.add(setting + " (n=" + v.length + ")");
            means.add(mean);
            sds.add(v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : 0.0);
        }
        if (!noMetric.isEmpty()) {
            notes.add("No final metric for " + String.join(", ", noMetric) + ": left out of the metric figure (c).");
        }
        if (categories.isEmpty()) {
            notes.add("No final metric in runs: metric figure (c) skipped.");
            return null;
        }
        String metricName = cells.stream().map(RunInfo::metricName).filter(Objects::nonNull).distinct().count() == 1
                ? cells.get(0).metricName() : "metric";
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("final " + metricName + " by forget-gate setting, " + g.chartLabel())
                .xAxisTitle("forget-gate setting (n = seeds with a metric)").yAxisTitle("final validation " + metricName).build();
        style(chart.getStyler());
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setErrorBarsColor(Color.BLACK);
        chart.getStyler().setXAxisLabelRotation(categories.size() > 6 ? 30 : 0);
        CategorySeries s = chart.addSeries("final " + metricName, categories, means, sds);
        s.setFillColor(PALETTE[0]);
        String file = "metric-" + g.slug() + ".png";
        save(chart, reportDir.resolve(file));
        return new Figure(file, prefix + ": final validation " + metricName + " by forget-gate setting, mean over seeds "
                + "with ± 1 standard deviation error bars (cells without a metric, e.g. failed ones, excluded).");
    }

    private static Figure lossChart(Path reportDir, Group g, List<RunInfo> cells, Map<String, List<CurveInfo>> curves,
                                    Map<String, Color> colours, String prefix, List<String> notes) throws IOException {
        List<RunInfo> withCurve = cells.stream().filter(r -> curves.containsKey(r.cell())).toList();
        if (withCurve.isEmpty()) {
            notes.add("No validation-loss curves: loss figure (d) skipped.");
            return null;
        }
        if (withCurve.size() < cells.size()) {
            notes.add((cells.size() - withCurve.size()) + " cell(s) without a validation-loss curve left out of figure (d).");
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("validation loss, " + g.chartLabel())
                .xAxisTitle("update").yAxisTitle("validation loss").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        TreeSet<String> inLegend = new TreeSet<>();
        for (RunInfo r : withCurve) {
            List<CurveInfo> c = curves.get(r.cell());
            List<Long> x = c.stream().map(CurveInfo::update).toList();
            List<Double> y = c.stream().map(CurveInfo::validationLoss).toList();
            for (double v : y) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            boolean first = inLegend.add(r.setting());
            XYSeries s = chart.addSeries(first ? r.setting() : r.setting() + " seed " + r.seed() + " " + r.cell(), x, y);
            Color col = colours.getOrDefault(r.setting(), Color.BLACK);
            s.setLineColor(col);
            s.setMarkerColor(col);
            s.setMarker(x.size() <= 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            s.setLineWidth(1.5f);
            s.setShowInLegend(first);
        }
        boolean log = lo > 0 && hi / lo > 50;
        chart.getStyler().setYAxisLogarithmic(log);
        String file = "loss-" + g.slug() + ".png";
        save(chart, reportDir.resolve(file));
        return new Figure(file, prefix + ": validation loss against update, one line per cell (seed), coloured by "
                + "forget-gate setting" + (log ? "; logarithmic loss axis." : "."));
    }

    private static void style(Styler s) {
        s.setAntiAlias(true);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setChartTitleVisible(true);
    }

    private static void save(Chart<?, ?> chart, Path file) throws IOException {
        Files.write(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }

    // ---------------------------------------------------------------- HTML

    private static final String CSS = """
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1000px;
                   color: #222; line-height: 1.45; padding: 0 1em; }
            h1 { font-size: 1.6em; border-bottom: 2px solid #ddd; padding-bottom: .3em; }
            h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #eee; }
            .meta { color: #555; }
            figure { margin: 1.5em 0; }
            figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
            figcaption { font-size: .92em; color: #333; margin-top: .3em; }
            .notes { background: #fff8e1; border-left: 4px solid #f0b400; padding: .4em 1em; margin: 1em 0; font-size: .92em; }
            table { border-collapse: collapse; font-size: .85em; width: 100%; }
            th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: left; }
            th { background: #f4f4f4; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            tr.status-failed td.status, tr.status-diverged td.status { color: #b00020; font-weight: bold; }
            tr.status-completed td.status, tr.status-ok td.status { color: #1b7f3b; }
            code { font-size: .9em; }
            """;

    private static String cellsTable(List<RunInfo> runs) {
        StringBuilder t = new StringBuilder("<section>\n<h2>Cells</h2>\n");
        if (runs.isEmpty()) {
            return t.append("<p>No cells: the runs table is missing or empty.</p>\n</section>\n").toString();
        }
        t.append("<table class=\"cells\">\n<thead><tr><th>cell</th><th>task</th><th>T</th><th>model</th><th>setting</th>"
                + "<th>hidden</th><th>seed</th><th>status</th><th>updates</th><th>final train loss</th>"
                + "<th>final validation loss</th><th>final metric</th><th>wall s</th><th>error / note</th></tr></thead>\n<tbody>\n");
        for (RunInfo r : runs) {
            t.append("<tr class=\"status-").append(esc(r.status().replaceAll("[^A-Za-z0-9_-]", ""))).append("\">")
                    .append(td(r.cell())).append(td(r.task())).append(tdNum(String.valueOf(r.length())))
                    .append(td(r.modelCell())).append(td(r.setting())).append(tdNum(String.valueOf(r.hidden())))
                    .append(tdNum(String.valueOf(r.seed()))).append("<td class=\"status\">").append(esc(r.status())).append("</td>")
                    .append(tdNum(String.valueOf(r.updates()))).append(tdNum(num(r.trainLoss())))
                    .append(tdNum(num(r.validationLoss())))
                    .append(tdNum(r.metric() == null ? "–" : num(r.metric()) + " " + r.metricName()))
                    .append(tdNum(String.format(Locale.ROOT, "%.1f", r.wallSeconds())))
                    .append(td(r.error() == null ? "" : r.error())).append("</tr>\n");
        }
        return t.append("</tbody>\n</table>\n</section>\n").toString();
    }

    private static String statusCounts(List<RunInfo> runs) {
        Map<String, Long> counts = runs.stream().collect(Collectors.groupingBy(RunInfo::status, TreeMap::new, Collectors.counting()));
        if (counts.isEmpty()) {
            return "no statuses";
        }
        return counts.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "));
    }

    private static String td(String s) {
        return "<td>" + esc(s) + "</td>";
    }

    private static String tdNum(String s) {
        return "<td class=\"num\">" + esc(s) + "</td>";
    }

    private static String num(Double v) {
        return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, "%.4g", v);
    }

    private static String range(long[] minMax) {
        return minMax[0] == minMax[1] ? String.valueOf(minMax[0]) : minMax[0] + "–" + minMax[1];
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
