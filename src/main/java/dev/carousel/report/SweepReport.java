package dev.carousel.report;

import dev.carousel.report.ReportData.RunInfo;
import dev.carousel.stats.Summaries;
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
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;

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
            SectionReport gr = new SectionReport(g, cells, data, reportDir, xAxis, colourAxis);
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

    static String td(String s) {
        return "<td>" + esc(s) + "</td>";
    }

    static String tdNum(String s) {
        return "<td class=\"num\">" + esc(s) + "</td>";
    }

    static String num(Double v) {
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
