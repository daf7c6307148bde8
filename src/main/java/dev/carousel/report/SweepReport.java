package dev.carousel.report;

import dev.carousel.report.ReportData.RunInfo;
import dev.carousel.report.ReportData.StatInfo;
import dev.carousel.stats.Summaries;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A self-contained HTML report of a results folder ({@link ReportData}): {@code index.html} with inline CSS and
 * PNG figures next to it, drawn headless with XChart, readable offline from a plain file. Per facet (by default
 * each task and sequence length T):
 * <ol type="a">
 *   <li>heatmaps of the median log10 ‖∂ℓ/∂h‖ by lag × forget-gate setting, one panel per probe round (up to
 *       {@value ReportData#MAX_ROUNDS}), on one colour scale: gradient flow as the network learns;</li>
 *   <li>the decay rate of ‖∂ℓ/∂c‖ per step of lag at initialisation against the setting, every cell a point, with
 *       log10 σ(b_f), the carousel's gain with no input coupling, as a reference line;</li>
 *   <li>the same decay rate against update, one line per cell;</li>
 *   <li>updates to the target loss against the setting, cells that never reached it drawn at "never";</li>
 *   <li>the best validation loss against the setting, with the target;</li>
 *   <li>validation loss against update, one line per cell;</li>
 *   <li>∂ℓ/∂h and ∂ℓ/∂c against lag at initialisation, the median per setting;</li>
 * </ol>
 * then a table per setting (medians over its cells) and a table of all cells. The x axis of (b), (d), (e) and the
 * colours of every figure follow {@link Options}; many distinct values get a colour scale with a colour bar, never
 * a legend of more than {@value Encoding#MAX_LEGEND} entries. Missing tables or values skip a figure and say so.
 */
public final class SweepReport {
    /** Size of every single figure, in pixels (the heatmap panels make a larger image). */
    public static final int WIDTH = Charts.WIDTH;
    public static final int HEIGHT = Charts.HEIGHT;

    /** How many decades of log10 norms a heatmap's colour scale spans at most. */
    static final int COLOUR_DECADES = 8;

    /** Heatmaps bin a numeric setting axis into this many rows when it has more distinct values than 24. */
    static final int HEATMAP_BINS = 12;

    /** The cells table lists at most this many cells (the runs table has them all). */
    static final int MAX_TABLE_CELLS = 2000;

    private SweepReport() {}

    /**
     * Which axes the figures use; null means the default. {@code x}: the horizontal axis of the per-cell figures
     * (default: the forget-gate setting); {@code colour}: what colours cells (default: the setting); {@code facet}:
     * what splits the report into sections (default: task and T). Each names a sweep axis by its key
     * ({@code model.forget-gate.bias}) or column ({@code axis_model_forget_gate_bias}), or is {@code setting}.
     */
    public record Options(String x, String colour, String facet) {
        public static final Options DEFAULT = new Options(null, null, null);
    }

    /** A figure written: its file, its caption and how many legend entries it shows. */
    public record Figure(Path file, String caption, int legendEntries) {}

    /** What was written: the HTML page, the figures (in page order) and the notes on what was skipped. */
    public record Report(Path index, List<Figure> figures, List<String> notes) {}

    /** The cells of one facet; {@code report} is the report's title, which every chart repeats. */
    record Group(String report, String task, String facet, String value, double order) {
        String label() {
            return "task " + task + ", " + facet + " = " + value;
        }

        String chartLabel() {
            return report + " — " + label();
        }

        String slug() {
            return (task + "-" + (facet.equals("T") ? "T" : facet + "-") + value).replaceAll("[^A-Za-z0-9.-]+", "_");
        }
    }

    /** {@link #write(org.apache.hadoop.fs.Path, Configuration, Path, String, Options)} of a local folder. */
    public static Report write(Path resultsDir, Path reportDir, String title) throws IOException {
        return write(dev.carousel.store.Storage.local(resultsDir), new Configuration(), reportDir, title, Options.DEFAULT);
    }

    /** The default report of {@code resultsDir}. */
    public static Report write(org.apache.hadoop.fs.Path resultsDir, Configuration conf, Path reportDir, String title)
            throws IOException {
        return write(resultsDir, conf, reportDir, title, Options.DEFAULT);
    }

    /**
     * Writes the report of the tables in {@code resultsDir} (any Hadoop file system) into the local folder
     * {@code reportDir}.
     *
     * @throws IllegalArgumentException if an option names an axis the results do not have (listing those they have)
     */
    public static Report write(org.apache.hadoop.fs.Path resultsDir, Configuration conf, Path reportDir, String title,
                               Options options) throws IOException {
        System.setProperty("java.awt.headless", "true");
        ReportData data = ReportData.read(resultsDir, conf);
        Encoding.Axis xAxis = axis(options.x(), "--x", data);
        Encoding.Axis colourAxis = axis(options.colour(), "--color", data);
        Encoding.Axis facetAxis = options.facet() == null ? null : axis(options.facet(), "--facet", data);
        Files.createDirectories(reportDir);
        List<String> notes = new ArrayList<>(data.notes);

        TreeMap<Group, List<RunInfo>> groups = new TreeMap<>(Comparator.comparing(Group::task)
                .thenComparingDouble(Group::order).thenComparing(Group::value));
        for (RunInfo r : data.runs) {
            Group g;
            if (facetAxis == null) {
                g = new Group(title, r.task(), "T", String.valueOf(r.length()), r.length());
            } else {
                Double n = facetAxis.number().apply(r);
                g = new Group(title, r.task(), facetAxis.title(), facetAxis.label(facetAxis.key(r)),
                        n == null ? Double.MAX_VALUE : n);
            }
            groups.computeIfAbsent(g, k -> new ArrayList<>()).add(r);
        }
        long orphans = data.stats.keySet().stream().filter(c -> data.runs.stream().noneMatch(r -> r.cell().equals(c))).count();
        if (orphans > 0) {
            notes.add(orphans + " cell(s) in step_stats have no row in runs and are left out of the figures.");
        }

        StringBuilder body = new StringBuilder();
        List<Figure> figures = new ArrayList<>();
        for (Map.Entry<Group, List<RunInfo>> e : groups.entrySet()) {
            Group g = e.getKey();
            List<RunInfo> cells = e.getValue();
            GroupReport gr = new GroupReport(g, cells, data, reportDir, xAxis, colourAxis);
            gr.draw();
            body.append("<section>\n<h2>").append(esc(g.label())).append("</h2>\n<p class=\"meta\">").append(cells.size())
                    .append(" cell(s); ").append(esc(gr.colouring.scale != null ? Encoding.describe(gr.colouring)
                            : "colours: " + colourAxis.title())).append(".</p>\n");
            body.append(gr.settingsTable());
            for (Figure f : gr.figures) {
                figures.add(f);
                String file = f.file().getFileName().toString();
                java.awt.image.BufferedImage img = ImageIO.read(f.file().toFile());
                body.append("<figure><img src=\"").append(esc(file)).append("\" width=\"").append(img.getWidth())
                        .append("\" height=\"").append(img.getHeight()).append("\" alt=\"").append(esc(f.caption()))
                        .append("\"><figcaption><b>Figure ").append(figures.size()).append(".</b> ")
                        .append(esc(f.caption())).append("</figcaption></figure>\n");
            }
            if (!gr.notes.isEmpty()) {
                body.append("<div class=\"notes\"><b>Skipped:</b><ul>\n");
                gr.notes.forEach(n -> body.append("<li>").append(esc(n)).append("</li>\n"));
                body.append("</ul></div>\n");
            }
            body.append("</section>\n");
            gr.notes.forEach(n -> notes.add(g.label() + ": " + n));
        }
        if (groups.isEmpty()) {
            notes.add("No cells in runs: no figures.");
        }

        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(esc(title))
                .append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<h1>").append(esc(title))
                .append("</h1>\n<p class=\"meta\">").append(data.runs.size()).append(" cell(s) in ").append(groups.size())
                .append(" section(s); ").append(statusCounts(data.runs)).append(". Results: <code>")
                .append(esc(resultsDir.toString())).append("</code></p>\n");
        List<String> inits = data.runs.stream().map(RunInfo::init).distinct().sorted().toList();
        if (!inits.isEmpty()) {
            html.append("<p class=\"meta\">Weight init: ").append(esc(String.join("; ", inits))).append(".</p>\n");
        }
        html.append("<p class=\"meta\">Decay rate: the Theil–Sen slope of the median log10 gradient norm per step of "
                + "lag (log10 φ for a gate fixed at φ with no recurrent weights); memory: the lag at which that median is "
                + "2 decades below its value at the loss step.</p>\n");
        List<String> globalNotes = notes.stream().filter(n -> groups.keySet().stream()
                .noneMatch(g -> n.startsWith(g.label() + ": "))).toList();
        if (!globalNotes.isEmpty()) {
            html.append("<div class=\"notes\"><b>Notes:</b><ul>\n");
            globalNotes.forEach(n -> html.append("<li>").append(esc(n)).append("</li>\n"));
            html.append("</ul></div>\n");
        }
        html.append(body);
        html.append(cellsTable(data));
        html.append("</body>\n</html>\n");
        Path index = reportDir.resolve("index.html");
        Files.writeString(index, html.toString(), StandardCharsets.UTF_8);
        return new Report(index, List.copyOf(figures), List.copyOf(notes));
    }

    /**
     * Checks that every axis {@code options} names is a column of the {@code runs} table in {@code resultsDir}, reading
     * only its schema, so a bad option fails before anything is written.
     *
     * @throws IllegalArgumentException naming the option and the axes the results have
     */
    public static void checkAxes(org.apache.hadoop.fs.Path resultsDir, Configuration conf, Options options) {
        org.apache.spark.sql.types.StructType schema = dev.carousel.store.Table.at(
                new org.apache.hadoop.fs.Path(resultsDir, "runs"), conf).schema();
        Map<String, Boolean> columns = new LinkedHashMap<>();
        if (schema != null) {
            for (org.apache.spark.sql.types.StructField f : schema.fields()) {
                if (f.name().startsWith("axis_") && !f.name().equals("axis_seed")) {
                    columns.put(f.name(), true);
                }
            }
        }
        axis(options.x(), "--x", columns);
        axis(options.colour(), "--color", columns);
        if (options.facet() != null) {
            axis(options.facet(), "--facet", columns);
        }
    }

    static Encoding.Axis axis(String name, String option, ReportData data) {
        return axis(name, option, data.axisColumns);
    }

    /** The axis an option names: null or {@code setting} is the setting axis; else a sweep axis column. */
    private static Encoding.Axis axis(String name, String option, Map<String, Boolean> axisColumns) {
        if (name == null || name.equals("setting")) {
            return Encoding.setting();
        }
        String column = name.startsWith("axis_") ? name
                : "axis_" + name.replaceAll("[^A-Za-z0-9]+", "_").toLowerCase(Locale.ROOT);
        Boolean numeric = axisColumns.get(column);
        if (numeric == null) {
            throw new IllegalArgumentException(option + " " + name + ": no such axis in these results; axes: setting"
                    + axisColumns.keySet().stream().map(c -> ", " + c.substring(5)).collect(Collectors.joining()));
        }
        return Encoding.column(column, numeric);
    }

    // ---------------------------------------------------------------- one section

    /** The figures and tables of one facet. */
    private static final class GroupReport {
        final Group g;
        final List<RunInfo> cells;
        final ReportData data;
        final Path dir;
        final Encoding.Placement x;
        final Encoding.Colouring colouring;
        final Encoding.Axis settingAxis = Encoding.setting();
        final List<Figure> figures = new ArrayList<>();
        final List<String> notes = new ArrayList<>();

        GroupReport(Group g, List<RunInfo> cells, ReportData data, Path dir, Encoding.Axis xAxis, Encoding.Axis colourAxis) {
            this.g = g;
            this.cells = cells;
            this.data = data;
            this.dir = dir;
            this.x = new Encoding.Placement(xAxis, cells);
            this.colouring = new Encoding.Colouring(colourAxis, cells);
        }

        void draw() throws IOException {
            heatmaps();
            decayAtInit();
            decayDuringTraining();
            updatesToTarget();
            bestLoss();
            lossCurves();
            for (String probe : List.of("dh", "dc")) {
                lagProfile(probe);
            }
        }

        private String prefix() {
            return g.chartLabel();
        }

        private void save(String name, Charts.Drawn d, String caption) throws IOException {
            Path file = dir.resolve(name + "-" + g.slug() + ".png");
            ImageIO.write(d.image(), "png", file.toFile());
            figures.add(new Figure(file, prefix() + ": " + caption, d.legendEntries()));
        }

        /** (a) ∂ℓ/∂h by lag × setting, one panel per shown round. */
        void heatmaps() throws IOException {
            List<Object> keys = new ArrayList<>(new Encoding.Placement(settingAxis, cells).positions.keySet());
            long numbers = keys.stream().filter(k -> k instanceof Double).count();
            Function<RunInfo, String> rowOf;
            List<String> rows = new ArrayList<>();
            if (keys.size() <= 24) {
                keys.forEach(k -> rows.add(settingAxis.label(k)));
                rowOf = r -> settingAxis.label(settingAxis.key(r));
            } else {
                double lo = keys.stream().filter(k -> k instanceof Double).mapToDouble(k -> (Double) k).min().orElse(0);
                double hi = keys.stream().filter(k -> k instanceof Double).mapToDouble(k -> (Double) k).max().orElse(1);
                double w = (hi - lo) / HEATMAP_BINS;
                for (int b = 0; b < HEATMAP_BINS; b++) {
                    rows.add(binLabel(lo + b * w, lo + (b + 1) * w, w));
                }
                keys.stream().filter(k -> !(k instanceof Double)).forEach(k -> rows.add(settingAxis.label(k)));
                rowOf = r -> {
                    Double b = settingAxis.number().apply(r);
                    if (b == null) {
                        return settingAxis.label(settingAxis.key(r));
                    }
                    int bin = Math.min(HEATMAP_BINS - 1, (int) Math.floor((b - lo) / w));
                    return rows.get(bin);
                };
            }
            Charts.Grid grid = Charts.grid(cells, data.stats, rows, rowOf, data.shownRounds);
            if (grid.byRound().isEmpty()) {
                notes.add("No ∂ℓ/∂h rows in step_stats for these cells: heatmaps (a) skipped.");
                return;
            }
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (Map<String, TreeMap<Integer, Double>> m : grid.byRound().values()) {
                for (TreeMap<Integer, Double> row : m.values()) {
                    for (double v : row.values()) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
            lo = Math.floor(lo * 10) / 10;
            hi = Math.max(lo + 0.1, Math.ceil(hi * 10) / 10);
            String scale = "";
            if (hi - lo > COLOUR_DECADES) {
                // One setting that vanishes by tens of decades would stretch the scale until every other row is one
                // colour: colours span at most COLOUR_DECADES below the top.
                scale = String.format(Locale.ROOT, " Colours span the %d decades below the largest value: the darkest "
                        + "means %.1f or less (the smallest value is %.1f).", COLOUR_DECADES, hi - COLOUR_DECADES, lo);
                lo = hi - COLOUR_DECADES;
            }
            save("heatmap-dh", Charts.heatmaps(grid, "median log10 ‖∂ℓ/∂h‖ by lag and setting, " + prefix(), lo, hi),
                    "median log10 ‖∂ℓ/∂h_t‖ (p50 over sequences, median over cells) by lag (steps before the loss) and "
                            + "forget-gate setting" + (numbers > 0 && keys.size() > 24 ? " (biases in " + HEATMAP_BINS
                            + " bins)" : "") + ", one panel per probe round (update " + data.shownRounds.stream()
                            .map(String::valueOf).collect(Collectors.joining(", ")) + "), one colour scale; blank: no finite value "
                            + "(the norm underflowed to 0)." + scale);
        }

        private static String binLabel(double a, double b, double w) {
            return "bias " + ColourScale.format(a, w * HEATMAP_BINS) + "…" + ColourScale.format(b, w * HEATMAP_BINS);
        }

        /** (b) decay rate of ∂ℓ/∂c at initialisation against the x axis, with log10 σ(b_f). */
        void decayAtInit() throws IOException {
            List<RunInfo> lstm = cells.stream().filter(r -> data.first(r.cell()) != null
                    && !Double.isNaN(data.first(r.cell()).decayDc())).toList();
            if (lstm.isEmpty()) {
                notes.add("No ∂ℓ/∂c decay rates (no LSTM cells with step statistics): figure (b) skipped.");
                return;
            }
            XYChart chart = Charts.scatter("decay of ‖∂ℓ/∂c‖ per step at initialisation, " + prefix(),
                    "log10 ‖∂ℓ/∂c‖ per step of lag (Theil–Sen)", lstm, x, colouring, r -> data.first(r.cell()).decayDc(),
                    r -> false, 0);
            boolean reference = addSigmoidReference(chart, lstm);
            save("decay-dc-init", Charts.render(chart, colouring.scale), "decay rate of ‖∂ℓ/∂c_t‖ at initialisation "
                    + "(first probe round): the slope of median log10 ‖∂ℓ/∂c‖ against lag, per step; every cell a point, "
                    + "the black line the median over cells at each " + x.axis.title() + "."
                    + (reference ? " Dashed: log10 σ(b_f), the carousel's gain per step with no input coupling "
                    + "(the exact rate when the recurrent weights are zero)." : ""));
        }

        /** The line log10 σ(b) through the positions of the learned biases, when x is the setting axis. */
        private boolean addSigmoidReference(XYChart chart, List<RunInfo> of) {
            if (!x.axis.name().equals("setting")) {
                return false;
            }
            TreeMap<Double, Double> ref = new TreeMap<>();
            for (RunInfo r : of) {
                if (r.bias() != null) {
                    ref.put(x.position(r), Math.log10(1 / (1 + Math.exp(-r.bias()))));
                }
            }
            if (ref.isEmpty()) {
                return false;
            }
            var s = Charts.add(chart, "log10 σ(b_f)", new ArrayList<>(ref.keySet()), new ArrayList<>(ref.values()),
                    Color.DARK_GRAY, ref.size() <= 40 ? SeriesMarkers.SQUARE : SeriesMarkers.NONE, true);
            s.setLineStyle(Charts.DASHED);
            return true;
        }

        /** (c) decay rate of ∂ℓ/∂c against update. */
        void decayDuringTraining() throws IOException {
            List<RunInfo> lstm = cells.stream().filter(r -> data.rounds.getOrDefault(r.cell(), List.of()).stream()
                    .anyMatch(s -> !Double.isNaN(s.decayDc()))).toList();
            if (lstm.isEmpty()) {
                notes.add("No ∂ℓ/∂c decay rates: figure (c) skipped.");
                return;
            }
            XYChart chart = Charts.lines("decay of ‖∂ℓ/∂c‖ per step during training, " + prefix(), "update",
                    "log10 ‖∂ℓ/∂c‖ per step of lag", lstm, colouring, r -> data.rounds.get(r.cell()).stream()
                            .filter(s -> !Double.isNaN(s.decayDc())).map(s -> new double[] {s.update(), s.decayDc()}).toList());
            chart.getStyler().setXAxisDecimalPattern("#,##0");
            save("decay-dc-training", Charts.render(chart, colouring.scale), "decay rate of ‖∂ℓ/∂c_t‖ per step of lag "
                    + "at every probe round, one line per cell, " + Encoding.describe(colouring) + ": how training moves "
                    + "the carousel's gain.");
        }

        /** (d) updates to the target loss against the x axis; never-reached cells at "never". */
        void updatesToTarget() throws IOException {
            List<RunInfo> with = cells.stream().filter(r -> r.target() != null && data.curves.containsKey(r.cell())).toList();
            if (with.isEmpty()) {
                notes.add("No target loss for these cells (a file dataset, or results written without summaries): "
                        + "figure (d) skipped.");
                return;
            }
            double budget = with.stream().mapToLong(RunInfo::updates).max().orElse(1);
            double never = budget * 1.12;
            XYChart chart = Charts.scatter("updates to validation loss < target, " + prefix(), "updates to target", with,
                    x, colouring, r -> r.toTarget() == null ? Double.NaN : r.toTarget(), r -> r.toTarget() == null, never);
            var b = Charts.add(chart, "budget (" + String.format(Locale.ROOT, "%,d", (long) budget) + " updates)",
                    List.of(x.positions.values().stream().mapToDouble(Double::doubleValue).min().orElse(0),
                            x.positions.values().stream().mapToDouble(Double::doubleValue).max().orElse(1)),
                    List.of(budget, budget), Color.GRAY, SeriesMarkers.NONE, true);
            b.setLineStyle(Charts.DASHED);
            chart.getStyler().setYAxisMin(0.0).setYAxisMax(budget * 1.2);
            Map<Double, Integer> blanks = new java.util.HashMap<>();
            chart.setCustomYAxisTickLabelsFormatter(v -> v > budget * 1.05 ? Charts.blank(v, blanks)
                    : String.format(Locale.ROOT, "%,d", Math.round(v)));
            // "never" is written left of the first position, in room made for it.
            double left = x.positions.values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
            double right = x.positions.values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
            double room = Math.max(right - left, 1) * 0.08;
            chart.getStyler().setXAxisMin(left - 2 * room);
            chart.addAnnotation(new org.knowm.xchart.AnnotationText("never", left - room, never, false));
            long reached = with.stream().filter(r -> r.toTarget() != null).count();
            String targets = with.stream().map(r -> ColourScale.shortNumber(r.target())).distinct()
                    .collect(Collectors.joining(", "));
            save("updates-to-target", Charts.render(chart, colouring.scale), "first evaluated update with validation "
                    + "loss below the target (" + targets + "), every cell a point; crosses at \"never\": the "
                    + (with.size() - reached) + " of " + with.size() + " cells that did not get there within the budget. "
                    + "Black: the median over cells at each " + x.axis.title() + " (never counts as above the budget).");
        }

        /** (e) best validation loss against the x axis, with the target. */
        void bestLoss() throws IOException {
            List<RunInfo> with = cells.stream().filter(r -> r.bestLoss() != null).toList();
            if (with.isEmpty()) {
                notes.add("No validation losses: figure (e) skipped.");
                return;
            }
            XYChart chart = Charts.scatter("best validation loss, " + prefix(), "best validation loss", with, x,
                    colouring, RunInfo::bestLoss, r -> false, 0);
            Double target = with.stream().map(RunInfo::target).filter(Objects::nonNull).findFirst().orElse(null);
            if (target != null) {
                var t = Charts.add(chart, "target " + ColourScale.shortNumber(target),
                        List.of(x.positions.values().stream().mapToDouble(Double::doubleValue).min().orElse(0),
                                x.positions.values().stream().mapToDouble(Double::doubleValue).max().orElse(1)),
                        List.of(target, target), Color.GRAY, SeriesMarkers.NONE, true);
                t.setLineStyle(Charts.DASHED);
            }
            double lo = with.stream().mapToDouble(RunInfo::bestLoss).min().orElse(1);
            double hi = with.stream().mapToDouble(RunInfo::bestLoss).max().orElse(1);
            boolean log = lo > 0 && hi / lo > 20;
            chart.getStyler().setYAxisLogarithmic(log);
            save("best-loss", Charts.render(chart, colouring.scale), "best validation loss of each cell over its "
                    + "evaluations" + (target != null ? "; dashed: the target loss" : "") + (log ? "; logarithmic axis." : "."));
        }

        /** (f) validation loss curves. */
        void lossCurves() throws IOException {
            List<RunInfo> with = cells.stream().filter(r -> data.curves.containsKey(r.cell())).toList();
            if (with.isEmpty()) {
                notes.add("No validation-loss curves: figure (f) skipped.");
                return;
            }
            if (with.size() < cells.size()) {
                notes.add((cells.size() - with.size()) + " cell(s) without a validation-loss curve left out of figure (f).");
            }
            XYChart chart = Charts.lines("validation loss, " + prefix(), "update", "validation loss", with, colouring,
                    r -> data.curves.get(r.cell()).stream().map(c -> new double[] {c.update(), c.validationLoss()}).toList());
            double lo = with.stream().flatMap(r -> data.curves.get(r.cell()).stream())
                    .mapToDouble(ReportData.CurveInfo::validationLoss).min().orElse(1);
            double hi = with.stream().flatMap(r -> data.curves.get(r.cell()).stream())
                    .mapToDouble(ReportData.CurveInfo::validationLoss).max().orElse(1);
            boolean log = lo > 0 && hi / lo > 50;
            chart.getStyler().setYAxisLogarithmic(log);
            chart.getStyler().setXAxisDecimalPattern("#,##0");
            save("loss", Charts.render(chart, colouring.scale), "validation loss against update, one line per cell, "
                    + Encoding.describe(colouring) + (log ? "; logarithmic loss axis." : "."));
        }

        /** (g) the probe against lag at initialisation: per colour key, the median over its cells. */
        void lagProfile(String probe) throws IOException {
            long first = data.shownRounds.isEmpty() ? -1 : data.shownRounds.get(0);
            Map<Object, List<RunInfo>> byKey = new LinkedHashMap<>();
            for (RunInfo r : cells) {
                byKey.computeIfAbsent(colouring.axis.key(r), k -> new ArrayList<>()).add(r);
            }
            boolean bands = byKey.size() <= Encoding.MAX_LEGEND;
            String name = probe.equals("dh") ? "h" : "c";
            XYChart chart = Charts.xy("log10 ‖∂ℓ/∂" + name + "‖ by lag at initialisation, " + prefix(),
                    "lag (steps before the loss step)", "log10 norm (p50" + (bands ? "; dashed p10, p90)" : ")"));
            chart.getStyler().setXAxisDecimalPattern("0");
            List<String> missing = new ArrayList<>();
            for (Map.Entry<Object, List<RunInfo>> e : byKey.entrySet()) {
                TreeMap<Integer, List<double[]>> byLag = new TreeMap<>();
                for (RunInfo r : e.getValue()) {
                    List<StatInfo> s = data.stats.getOrDefault(r.cell(), List.of());
                    long r0 = s.stream().mapToLong(StatInfo::round).min().orElse(first);
                    for (StatInfo st : s) {
                        if (st.probe().equals(probe) && st.round() == r0 && !Double.isNaN(st.p50())) {
                            byLag.computeIfAbsent(st.lag(), k -> new ArrayList<>()).add(new double[] {st.p10(), st.p50(), st.p90()});
                        }
                    }
                }
                if (byLag.isEmpty()) {
                    missing.add(colouring.axis.label(e.getKey()));
                    continue;
                }
                List<Double> lags = byLag.keySet().stream().map(Integer::doubleValue).toList();
                RunInfo any = e.getValue().get(0);
                Object series = colouring.series(any);
                for (int k = 0; k < (bands ? 3 : 1); k++) {
                    int col = k == 0 ? 1 : k == 1 ? 0 : 2;
                    List<Double> v = byLag.values().stream().map(l -> ReportData.median(l.stream().mapToDouble(a -> a[col])
                            .toArray())).toList();
                    if (v.stream().allMatch(d -> d.isNaN())) {
                        continue;
                    }
                    var s = Charts.add(chart, k == 0 ? colouring.legendLabel(series) : null, lags, v,
                            colouring.colour(any), lags.size() <= 30 && k == 0 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE, true);
                    if (k > 0) {
                        s.setLineStyle(Charts.DASHED);
                    } else {
                        s.setLineWidth(bands ? 2f : 1f);
                    }
                }
            }
            if (chart.getSeriesMap().isEmpty()) {
                notes.add("No " + probe + " values at initialisation: its lag profile (g) skipped.");
                return;
            }
            // Only one series per legend key carries the entry.
            java.util.Set<String> seen = new java.util.HashSet<>();
            chart.getSeriesMap().values().forEach(s -> {
                if (s.isShowInLegend() && !seen.add(s.getName())) {
                    s.setShowInLegend(false);
                }
            });
            if (!missing.isEmpty()) {
                notes.add("Lag profile of " + probe + ": no values for " + String.join(", ", missing)
                        + (probe.equals("dc") ? " (no cell state)" : "") + "; those series are left out.");
            }
            save("profile-" + probe, Charts.render(chart, colouring.scale), "log10 ‖∂ℓ/∂" + name + "_t‖ against lag at "
                    + "initialisation (first probe round), " + Encoding.describe(colouring) + ": the median over cells "
                    + "of the median over sequences (p50)" + (bands ? ", dashed p10 and p90" : "") + ".");
        }

        /** Per setting (binned when many): cells, how many reached the target, and medians of the summaries. */
        String settingsTable() {
            Encoding.Placement p = new Encoding.Placement(settingAxis, cells);
            Map<String, List<RunInfo>> bySetting = new LinkedHashMap<>();
            if (p.categorical || p.positions.size() <= 24) {
                for (Object k : p.positions.keySet()) {
                    bySetting.put(settingAxis.label(k), new ArrayList<>());
                }
                cells.forEach(r -> bySetting.get(settingAxis.label(settingAxis.key(r))).add(r));
            } else {
                double lo = cells.stream().map(RunInfo::bias).filter(Objects::nonNull).mapToDouble(d -> d).min().orElse(0);
                double hi = cells.stream().map(RunInfo::bias).filter(Objects::nonNull).mapToDouble(d -> d).max().orElse(1);
                double w = (hi - lo) / HEATMAP_BINS;
                for (int b = 0; b < HEATMAP_BINS; b++) {
                    bySetting.put(binLabel(lo + b * w, lo + (b + 1) * w, w), new ArrayList<>());
                }
                List<String> labels = new ArrayList<>(bySetting.keySet());
                for (RunInfo r : cells) {
                    String key = r.bias() == null ? settingAxis.label(settingAxis.key(r))
                            : labels.get(Math.min(HEATMAP_BINS - 1, (int) Math.floor((r.bias() - lo) / w)));
                    bySetting.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
                }
            }
            StringBuilder t = new StringBuilder("<table class=\"settings\">\n<thead><tr><th>setting</th><th>cells</th>"
                    + "<th>reached target</th><th>median updates to target</th><th>median best loss</th>"
                    + "<th>median decay ∂ℓ/∂c, init → end</th><th>median memory ∂ℓ/∂c at init (lags)</th>"
                    + "<th>median decay ∂ℓ/∂h, init → end</th></tr></thead>\n<tbody>\n");
            for (Map.Entry<String, List<RunInfo>> e : bySetting.entrySet()) {
                List<RunInfo> of = e.getValue();
                if (of.isEmpty()) {
                    continue;
                }
                long withTarget = of.stream().filter(r -> r.target() != null).count();
                long reached = of.stream().filter(r -> r.toTarget() != null).count();
                double medianTo = ReportData.median(of.stream().mapToDouble(r -> r.target() == null ? Double.NaN
                        : r.toTarget() == null ? Double.POSITIVE_INFINITY : r.toTarget()).toArray());
                t.append("<tr>").append(td(e.getKey())).append(tdNum(String.valueOf(of.size())))
                        .append(tdNum(withTarget == 0 ? "–" : reached + " of " + withTarget))
                        .append(tdNum(Double.isNaN(medianTo) ? "–" : Double.isInfinite(medianTo) ? "never"
                                : String.format(Locale.ROOT, "%,d", Math.round(medianTo))))
                        .append(tdNum(num(median(of, RunInfo::bestLoss))))
                        .append(tdNum(arrow(median(of, r -> round(data.first(r.cell()), Summaries.Round::decayDc)),
                                median(of, r -> round(data.last(r.cell()), Summaries.Round::decayDc)))))
                        .append(tdNum(memory(of)))
                        .append(tdNum(arrow(median(of, r -> round(data.first(r.cell()), Summaries.Round::decayDh)),
                                median(of, r -> round(data.last(r.cell()), Summaries.Round::decayDh)))))
                        .append("</tr>\n");
            }
            return t.append("</tbody>\n</table>\n").toString();
        }

        private String memory(List<RunInfo> of) {
            double[] v = of.stream().map(r -> data.first(r.cell())).filter(Objects::nonNull)
                    .filter(s -> !Double.isNaN(s.decayDc()))
                    .mapToDouble(s -> s.memoryDc() < 0 ? Double.POSITIVE_INFINITY : s.memoryDc()).toArray();
            if (v.length == 0) {
                return "–";
            }
            double m = ReportData.median(v);
            return Double.isInfinite(m) ? "beyond T" : String.valueOf(Math.round(m));
        }

        private static Double round(Summaries.Round s, java.util.function.ToDoubleFunction<Summaries.Round> f) {
            return s == null ? null : f.applyAsDouble(s);
        }

        private static double median(List<RunInfo> of, Function<RunInfo, Double> f) {
            return ReportData.median(of.stream().map(f).filter(Objects::nonNull).mapToDouble(Double::doubleValue).toArray());
        }

        private static String arrow(double a, double b) {
            if (Double.isNaN(a) && Double.isNaN(b)) {
                return "–";
            }
            return String.format(Locale.ROOT, "%.3f → %.3f", a, b);
        }
    }

    // ---------------------------------------------------------------- HTML

    private static final String CSS = """
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1400px;
                   color: #222; line-height: 1.45; padding: 0 1em; }
            h1 { font-size: 1.6em; border-bottom: 2px solid #ddd; padding-bottom: .3em; }
            h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #eee; }
            .meta { color: #555; }
            figure { margin: 1.5em 0; }
            figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
            figcaption { font-size: .92em; color: #333; margin-top: .3em; max-width: 900px; }
            .notes { background: #fff8e1; border-left: 4px solid #f0b400; padding: .4em 1em; margin: 1em 0; font-size: .92em; }
            table { border-collapse: collapse; font-size: .85em; width: 100%; margin: 1em 0; }
            th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: left; }
            th { background: #f4f4f4; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            tr.status-failed td.status, tr.status-diverged td.status { color: #b00020; font-weight: bold; }
            tr.status-completed td.status, tr.status-ok td.status { color: #1b7f3b; }
            code { font-size: .9em; }
            """;

    private static String cellsTable(ReportData data) {
        List<RunInfo> runs = data.runs;
        StringBuilder t = new StringBuilder("<section>\n<h2>Cells</h2>\n");
        if (runs.isEmpty()) {
            return t.append("<p>No cells: the runs table is missing or empty.</p>\n</section>\n").toString();
        }
        if (runs.size() > MAX_TABLE_CELLS) {
            t.append("<p class=\"meta\">The first ").append(MAX_TABLE_CELLS).append(" of ").append(runs.size())
                    .append(" cells; the runs table holds them all.</p>\n");
        }
        t.append("<table class=\"cells\">\n<thead><tr><th>cell</th><th>task</th><th>T</th><th>model</th><th>setting</th>"
                + "<th>hidden</th><th>seed</th><th>status</th><th>updates</th><th>final validation loss</th>"
                + "<th>best validation loss</th><th>updates to target</th><th>decay ∂ℓ/∂c init</th>"
                + "<th>final metric</th><th>wall s</th><th>error / note</th></tr></thead>\n<tbody>\n");
        for (RunInfo r : runs.subList(0, Math.min(runs.size(), MAX_TABLE_CELLS))) {
            Summaries.Round first = data.first(r.cell());
            t.append("<tr class=\"status-").append(esc(r.status().replaceAll("[^A-Za-z0-9_-]", ""))).append("\">")
                    .append(td(r.cell())).append(td(r.task())).append(tdNum(String.valueOf(r.length())))
                    .append(td(r.modelCell())).append(td(r.bias() == null ? r.setting()
                            : "learned(" + ColourScale.shortNumber(r.bias()) + ")")).append(tdNum(String.valueOf(r.hidden())))
                    .append(tdNum(String.valueOf(r.seed()))).append("<td class=\"status\">").append(esc(r.status())).append("</td>")
                    .append(tdNum(String.valueOf(r.updates()))).append(tdNum(num(r.validationLoss())))
                    .append(tdNum(num(r.bestLoss())))
                    .append(tdNum(r.target() == null ? "–" : r.toTarget() == null ? "never" : String.valueOf(r.toTarget())))
                    .append(tdNum(first == null ? "–" : num(first.decayDc())))
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
