package dev.carousel.report;

import dev.carousel.report.ReportData.RunInfo;
import dev.carousel.report.ReportData.StatInfo;
import dev.carousel.stats.Summaries;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.markers.SeriesMarkers;


/** The figures and tables of one section of the report (one facet: by default a task and T). */
final class SectionReport {
    final SweepReport.Group g;
    final List<RunInfo> cells;
    final ReportData data;
    final Path dir;
    final Encoding.Placement x;
    final Encoding.Colouring colouring;
    /** The smallest and largest position on the x axis, where reference lines start and end. */
    final double xMin;
    final double xMax;
    final Encoding.Axis settingAxis = Encoding.setting();
    final List<SweepReport.Figure> figures = new ArrayList<>();
    final List<String> notes = new ArrayList<>();

    SectionReport(SweepReport.Group g, List<RunInfo> cells, ReportData data, Path dir, Encoding.Axis xAxis, Encoding.Axis colourAxis) {
        this.g = g;
        this.cells = cells;
        this.data = data;
        this.dir = dir;
        this.x = new Encoding.Placement(xAxis, cells);
        this.colouring = new Encoding.Colouring(colourAxis, cells);
        this.xMin = x.positions.values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
        this.xMax = x.positions.values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
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
        new CellTermFigures(this).draw();
    }

    private String prefix() {
        return g.chartLabel();
    }

    void save(String name, Charts.Drawn d, String caption) throws IOException {
        Path file = dir.resolve(name + "-" + g.slug() + ".png");
        ImageIO.write(d.image(), "png", file.toFile());
        figures.add(new SweepReport.Figure(file, prefix() + ": " + caption, d.legendEntries()));
    }

    /**
     * The rows cells are grouped in by setting, shared by the heatmaps and the per-setting table: one per setting
     * when there are at most 24, else the biases in {@link SweepReport#HEATMAP_BINS} equal bins followed by the
     * other settings.
     */
    private record SettingRows(List<String> rows, Function<RunInfo, String> rowOf, boolean binned) {}

    private SettingRows settingRows() {
        List<Object> keys = new ArrayList<>(new Encoding.Placement(settingAxis, cells).positions.keySet());
        List<String> rows = new ArrayList<>();
        if (keys.size() <= 24) {
            keys.forEach(k -> rows.add(settingAxis.label(k)));
            return new SettingRows(rows, r -> settingAxis.label(settingAxis.key(r)), false);
        }
        double lo = keys.stream().filter(k -> k instanceof Double).mapToDouble(k -> (Double) k).min().orElse(0);
        double hi = keys.stream().filter(k -> k instanceof Double).mapToDouble(k -> (Double) k).max().orElse(1);
        double w = (hi - lo) / SweepReport.HEATMAP_BINS;
        for (int b = 0; b < SweepReport.HEATMAP_BINS; b++) {
            rows.add(binLabel(lo + b * w, lo + (b + 1) * w, w));
        }
        keys.stream().filter(k -> !(k instanceof Double)).forEach(k -> rows.add(settingAxis.label(k)));
        return new SettingRows(rows, r -> {
            Double b = settingAxis.number().apply(r);
            return b == null ? settingAxis.label(settingAxis.key(r))
                    : rows.get(Math.min(SweepReport.HEATMAP_BINS - 1, (int) Math.floor((b - lo) / w)));
        }, true);
    }

    /** (a) ∂ℓ/∂h by lag × setting, one panel per shown round. */
    void heatmaps() throws IOException {
        SettingRows setting = settingRows();
        List<String> rows = setting.rows();
        Function<RunInfo, String> rowOf = setting.rowOf();
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
        if (hi - lo > SweepReport.COLOUR_DECADES) {
            // One setting that vanishes by tens of decades would stretch the scale until every other row is one
            // colour: colours span at most SweepReport.COLOUR_DECADES below the top.
            scale = String.format(Locale.ROOT, " Colours span the %d decades below the largest value: the darkest "
                    + "means %.1f or less (the smallest value is %.1f).", SweepReport.COLOUR_DECADES, hi - SweepReport.COLOUR_DECADES, lo);
            lo = hi - SweepReport.COLOUR_DECADES;
        }
        save("heatmap-dh", Charts.heatmaps(grid, "median log10 ‖∂ℓ/∂h‖ by lag and setting, " + prefix(), lo, hi),
                "median log10 ‖∂ℓ/∂h_t‖ (p50 over sequences, median over cells) by lag (steps before the loss) and "
                        + "forget-gate setting" + (setting.binned() ? " (biases in " + SweepReport.HEATMAP_BINS
                        + " bins)" : "") + ", one panel per probe round (update " + data.shownRounds.stream()
                        .map(String::valueOf).collect(Collectors.joining(", ")) + "), one colour scale; blank: no finite value "
                        + "(the norm underflowed to 0)." + scale);
    }

    private static String binLabel(double a, double b, double w) {
        return "bias " + ColourScale.format(a, w * SweepReport.HEATMAP_BINS) + "…" + ColourScale.format(b, w * SweepReport.HEATMAP_BINS);
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
                List.of(xMin, xMax),
                List.of(budget, budget), Color.GRAY, SeriesMarkers.NONE, true);
        b.setLineStyle(Charts.DASHED);
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(budget * 1.2);
        Map<Double, Integer> blanks = new java.util.HashMap<>();
        chart.setCustomYAxisTickLabelsFormatter(v -> v > budget * 1.05 ? Charts.blank(v, blanks)
                : String.format(Locale.ROOT, "%,d", Math.round(v)));
        // "never" is written left of the first position, in room made for it.
        double room = Math.max(xMax - xMin, 1) * 0.08;
        chart.getStyler().setXAxisMin(xMin - 2 * room);
        chart.addAnnotation(new org.knowm.xchart.AnnotationText("never", xMin - room, never, false));
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
                    List.of(xMin, xMax),
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
        Charts.oneLegendEntryPerName(chart);
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
        SettingRows setting = settingRows();
        Map<String, List<RunInfo>> bySetting = new LinkedHashMap<>();
        setting.rows().forEach(row -> bySetting.put(row, new ArrayList<>()));
        cells.forEach(r -> bySetting.get(setting.rowOf().apply(r)).add(r));
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
            t.append("<tr>").append(SweepReport.td(e.getKey())).append(SweepReport.tdNum(String.valueOf(of.size())))
                    .append(SweepReport.tdNum(withTarget == 0 ? "–" : reached + " of " + withTarget))
                    .append(SweepReport.tdNum(Double.isNaN(medianTo) ? "–" : Double.isInfinite(medianTo) ? "never"
                            : String.format(Locale.ROOT, "%,d", Math.round(medianTo))))
                    .append(SweepReport.tdNum(SweepReport.num(median(of, RunInfo::bestLoss))))
                    .append(SweepReport.tdNum(arrow(median(of, r -> round(data.first(r.cell()), Summaries.Round::decayDc)),
                            median(of, r -> round(data.last(r.cell()), Summaries.Round::decayDc)))))
                    .append(SweepReport.tdNum(memory(of)))
                    .append(SweepReport.tdNum(arrow(median(of, r -> round(data.first(r.cell()), Summaries.Round::decayDh)),
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
