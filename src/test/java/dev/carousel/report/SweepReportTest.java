package dev.carousel.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.store.ParquetFiles;
import dev.carousel.store.ResultTables;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep report end to end on real Parquet tables (written by {@link ParquetFiles#write}, which Spark and the
 * report both read): HTML, figures, captions, tables; and its parts (the heatmap grid, the colour encoding).
 */
public class SweepReportTest {
    static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static final String TITLE = "Forget-gate sweep <test>";

    /** One synthetic cell: id, T, model, setting label (null for the RNN), seed, status. */
    public record Cell(String id, int length, String model, String setting, long seed, String status) {
        public boolean lstm() {
            return model.equals("lstm");
        }
    }

    /**
     * adding T=10: settings bias=0, bias=1 (LSTM) and the RNN, seeds 1 and 2, completed, step stats at rounds 0
     * and 100 (dh for all, dc for LSTM only), curves; adding T=20: one failed LSTM cell with neither curve, step
     * stats nor metric.
     */
    public static List<Cell> writeTables(Path results) {
        List<Cell> cells = new ArrayList<>();
        for (String setting : new String[] {"bias=0", "bias=1", null}) {
            for (long seed = 1; seed <= 2; seed++) {
                String model = setting == null ? "rnn" : "lstm";
                cells.add(new Cell(model + "-" + (setting == null ? "g" : setting.replace("=", "")) + "-s" + seed, 10, model,
                        setting, seed, "completed"));
            }
        }
        cells.add(new Cell("lstm-bias1-T20-s1", 20, "lstm", "bias=1", 1, "failed"));

        List<Row> runs = new ArrayList<>();
        List<Row> curves = new ArrayList<>();
        List<Row> stats = new ArrayList<>();
        for (Cell c : cells) {
            boolean ok = c.status().equals("completed");
            double quality = c.lstm() ? (c.setting().equals("bias=1") ? 0.9 : 0.7) : 0.4;
            Double metric = ok ? quality + 0.02 * c.seed() : null;
            runs.add(RowFactory.create(c.id(), "adding", c.length(), c.model(), c.lstm() ? "constant" : null,
                    c.setting(), 8, c.lstm() ? 1.0 : 0.9, c.lstm() ? "glorot" : "orthogonal", "adam", 0.01, 16, c.seed(), c.status(), ok ? 100L : 3L,
                    null, ok ? 0.1 : null, ok ? 0.12 : null, metric, "accuracy", 1.5, ok ? null : "boom <failed>",
                    null, "{}"));
            if (!ok) {
                continue;
            }
            for (long update = 0; update <= 100; update += 10) {
                double loss = 0.2 + (1 - quality) * Math.exp(-update / 40.0) + 0.01 * c.seed();
                curves.add(RowFactory.create(c.id(), update, update * 16, loss * 1.1, loss, quality * update / 100.0, 1.0));
            }
            int last = c.length() - 1;
            for (long round : new long[] {0, 100}) {
                for (String probe : c.lstm() ? new String[] {"dh", "dc"} : new String[] {"dh"}) {
                    double decay = c.lstm() ? (c.setting().equals("bias=1") ? 0.05 : 0.2) : 0.5;
                    if (round == 100) {
                        decay *= 0.7;
                    }
                    for (int t = 0; t <= last; t++) {
                        int lag = last - t;
                        double p50 = -1 - decay * lag - 0.05 * c.seed() + (probe.equals("dc") ? 0.3 : 0);
                        stats.add(RowFactory.create(c.id(), round, t, lag, probe, 64L, 0L, p50, 0.2, p50 - 0.6, p50 + 0.6,
                                p50 - 0.3, p50, p50 + 0.3));
                    }
                }
                // A probe the report does not plot; it must be ignored.
                stats.add(RowFactory.create(c.id(), round, 0, last, "dwh_step", 64L, 0L, -3.0, 0.1, -3.2, -2.8, -3.1, -3.0, -2.9));
            }
        }
        ParquetFiles.write(runs, ResultTables.RUNS, results.resolve("runs"));
        ParquetFiles.write(curves, ResultTables.CURVES, results.resolve("curves"));
        ParquetFiles.write(stats, ResultTables.STEP_STATS, results.resolve("step_stats"));
        return cells;
    }

    @Test
    void writesHtmlWithEveryFigureCaptionedAndATableOfCells(@TempDir Path dir) throws IOException {
        Path results = dir.resolve("results");
        List<Cell> cells = writeTables(results);
        Path report = dir.resolve("report");

        SweepReport.Report r = SweepReport.write(results, report, TITLE);

        assertEquals(report.resolve("index.html"), r.index());
        assertTrue(Files.isRegularFile(r.index()));
        String html = Files.readString(r.index());
        // The weight init is stated (docs/science.md: gradient profiles depend on it), once per distinct scheme.
        assertTrue(html.contains("Weight init: lstm: " + dev.carousel.nn.RecurrentInit.GLOROT.scheme() + ", gain 1.0; rnn: "
                + dev.carousel.nn.RecurrentInit.ORTHOGONAL.scheme() + ", gain 0.9."), html);

        // (a) heatmaps, (b) and (c) decay rates, (e) best loss, (f) loss, (g) dh and dc profiles: all for adding T=10;
        // (d) needs a target loss, which these runs rows lack; nothing drawable at T=20.
        Set<String> expected = Set.of("heatmap-dh-adding-T10.png", "decay-dc-init-adding-T10.png",
                "decay-dc-training-adding-T10.png", "best-loss-adding-T10.png", "loss-adding-T10.png",
                "profile-dh-adding-T10.png", "profile-dc-adding-T10.png");
        Set<String> written = new TreeSet<>();
        r.figures().forEach(f -> written.add(f.file().getFileName().toString()));
        r.figures().forEach(f -> assertTrue(f.legendEntries() <= 12, f.toString()));
        assertEquals(new TreeSet<>(expected), written);
        try (Stream<Path> files = Files.list(report)) {
            assertEquals(new TreeSet<>(expected), new TreeSet<>(files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".png")).toList()), "only the listed figures are written");
        }
        for (String name : expected) {
            assertTrue(html.contains("src=\"" + name + "\""), "index.html must reference " + name);
            Path png = report.resolve(name);
            byte[] bytes = Files.readAllBytes(png);
            assertTrue(bytes.length > 5 * 1024, name + " is only " + bytes.length + " bytes");
            assertArrayEquals(PNG_MAGIC, Arrays.copyOf(bytes, 8), name + " is not a PNG");
            BufferedImage image = ImageIO.read(png.toFile());
            assertNotNull(image, name + " does not decode");
            if (!name.startsWith("heatmap")) { // the heatmap panels of both rounds make one larger image
                assertEquals(SweepReport.WIDTH, image.getWidth(), name);
                assertEquals(SweepReport.HEIGHT, image.getHeight(), name);
            }
        }
        // Every <img> points at a file that exists.
        Matcher img = Pattern.compile("<img src=\"([^\"]+)\"").matcher(html);
        int images = 0;
        while (img.find()) {
            images++;
            assertTrue(Files.isRegularFile(report.resolve(img.group(1))), img.group(1));
        }
        assertEquals(expected.size(), images);

        // Title (escaped) in the page and in every caption, with task and T.
        String escapedTitle = "Forget-gate sweep &lt;test&gt;";
        assertTrue(html.contains("<title>" + escapedTitle + "</title>"));
        assertTrue(html.contains("<h1>" + escapedTitle + "</h1>"));
        Matcher caption = Pattern.compile("<figcaption>(.*?)</figcaption>", Pattern.DOTALL).matcher(html);
        int captions = 0;
        while (caption.find()) {
            captions++;
            assertTrue(caption.group(1).contains(escapedTitle + " — task adding, T = 10"), caption.group(1));
        }
        assertEquals(expected.size(), captions);
        assertFalse(html.contains("<test>"), "the title must be escaped");
        assertTrue(html.contains("<style>"), "CSS inline");
        assertFalse(html.contains("<link"), "no external stylesheet");

        // The RNN has no cell state: dc series skipped and said so; the T=20 cell's figures skipped and said so.
        assertTrue(html.contains("Lag profile of dc: no values for rnn (no cell state)"), html);
        assertTrue(html.contains("<h2>task adding, T = 20</h2>"));
        assertTrue(html.contains("No ∂ℓ/∂h rows in step_stats for these cells: heatmaps (a) skipped."), html);
        assertTrue(html.contains("No target loss for these cells"), html);
        assertTrue(html.contains("No validation-loss curves: figure (f) skipped."), html);

        // (e) one row per cell with its status.
        Matcher row = Pattern.compile("<tr class=\"status-[^\"]*\">(.*?)</tr>", Pattern.DOTALL).matcher(html);
        List<String> rows = new ArrayList<>();
        while (row.find()) {
            rows.add(row.group(1));
        }
        assertEquals(cells.size(), rows.size());
        for (Cell c : cells) {
            List<String> mine = rows.stream().filter(x -> x.contains("<td>" + c.id() + "</td>")).toList();
            assertEquals(1, mine.size(), c.id());
            assertTrue(mine.get(0).contains("<td class=\"status\">" + c.status() + "</td>"), mine.get(0));
            assertTrue(mine.get(0).contains("<td>" + (c.lstm() ? c.setting() : "rnn") + "</td>"), mine.get(0));
        }
        assertTrue(html.contains("boom &lt;failed&gt;"), "error text shown, escaped");
    }

    @Test
    void heatmapGridTakesTheMedianOverCellsPerRowAndLag() {
        List<ReportData.RunInfo> runs = List.of(run("a", "bias=1", 1), run("b", "bias=1", 2), run("c", "bias=1", 3),
                run("d", "rnn", 1));
        var stats = java.util.Map.of(
                "a", List.of(stat("a", 0, "dh", -1.0), stat("a", 1, "dh", -2.0)),
                "b", List.of(stat("b", 0, "dh", -3.0), stat("b", 1, "dh", -2.5)),
                "c", List.of(stat("c", 0, "dh", -2.0)),
                "d", List.of(stat("d", 0, "dh", -5.0), stat("d", 0, "dc", 9.0)));
        Charts.Grid g = Charts.grid(runs, stats, List.of("bias=1", "rnn"), ReportData.RunInfo::setting, List.of(0L));
        assertEquals(List.of("bias=1", "rnn"), g.rows());
        assertEquals(List.of(0, 1), g.lags());
        assertEquals(-2.0, g.byRound().get(0L).get("bias=1").get(0), 1e-12);
        assertEquals(-2.25, g.byRound().get(0L).get("bias=1").get(1), 1e-12);
        assertEquals(-5.0, g.byRound().get(0L).get("rnn").get(0), 1e-12, "dc rows are not part of the dh heatmap");
    }

    /** A few settings are categories with a legend entry each; hundreds of biases get a colour scale instead. */
    @Test
    void manyForgetBiasesGetAColourScaleAndShortLabels() {
        List<ReportData.RunInfo> few = new ArrayList<>();
        List<ReportData.RunInfo> many = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            double b = -3 + 6 * i / 499.0 + 1e-9 * i;
            ReportData.RunInfo r = learned("c" + i, b);
            many.add(r);
            if (i % 100 == 0) {
                few.add(r);
            }
        }
        many.add(run("rnn", "rnn", 1));
        Encoding.Colouring small = new Encoding.Colouring(Encoding.setting(), few);
        assertEquals(null, small.scale);
        assertEquals(5, small.legend.size());
        Encoding.Colouring large = new Encoding.Colouring(Encoding.setting(), many);
        assertNotNull(large.scale, "500 biases: a colour scale");
        assertEquals(1, large.legend.size(), "only the RNN keeps a legend entry: " + large.legend);
        assertEquals(-3, large.scale.lo, 1e-6);
        Encoding.Placement p = new Encoding.Placement(Encoding.setting(), many);
        assertFalse(p.categorical);
        assertEquals("bias 2.98", Encoding.setting().label(2.980947301305986));
        assertEquals("fixed(1)", Encoding.setting().category().apply(run("f", "fixed(1.0)", 1)));
        assertEquals("chrono", Encoding.setting().category().apply(run("ch", "chrono(100)", 1)));
    }

    /** XChart 3.8.8 indexes past its colours for a value just below the scale's max; 100 lags must stay drawable. */
    @Test
    void heatmapDrawsValuesAtTheTopOfItsScaleAndLongSequences() {
        java.util.Map<String, java.util.TreeMap<Integer, Double>> rows = new java.util.LinkedHashMap<>();
        List<Integer> lags = new ArrayList<>();
        for (String setting : List.of("bias=0", "bias=1", "rnn")) {
            java.util.TreeMap<Integer, Double> m = new java.util.TreeMap<>();
            for (int lag = 0; lag < 100; lag++) {
                m.put(lag, -1 - 0.046 * lag);
            }
            m.put(0, Math.nextDown(-1.0));
            rows.put(setting, m);
        }
        for (int lag = 0; lag < 100; lag++) {
            lags.add(lag);
        }
        Charts.Grid g = new Charts.Grid(List.of("bias=0", "bias=1", "rnn"), lags, java.util.Map.of(0L, rows, 100L, rows));
        Charts.Drawn d = Charts.heatmaps(g, "test", -5.6, -1.0);
        assertTrue(d.image().getWidth() > SweepReport.WIDTH, "two panels and a colour bar");
        assertEquals(0, d.legendEntries());
    }

    @Test
    void emptyResultsFolderGivesAPageThatSaysSo(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("results"));
        SweepReport.Report r = SweepReport.write(dir.resolve("results"), dir.resolve("report"), "empty");
        assertTrue(r.figures().isEmpty());
        String html = Files.readString(r.index());
        assertTrue(html.contains("Table runs/ is missing or has no Parquet files."), html);
        assertTrue(html.contains("No cells: the runs table is missing or empty."), html);
    }

    private static ReportData.RunInfo run(String cell, String setting, long seed) {
        return new ReportData.RunInfo(cell, "adding", 2, setting.equals("rnn") ? "rnn" : "lstm", setting,
                setting.replaceFirst("\\(.*", ""), null, 4, seed, "completed", 10, 0.1, 0.1, 0.5, "accuracy", 1.0, null,
                "lstm: test init", java.util.Map.of(), 0.1, null, null);
    }

    private static ReportData.RunInfo learned(String cell, double bias) {
        return new ReportData.RunInfo(cell, "adding", 2, "lstm", "learned(" + bias + ")", "learned", bias, 4, 1,
                "completed", 10, 0.1, 0.1, 0.5, "accuracy", 1.0, null, "lstm: test init", java.util.Map.of(), 0.1, null,
                null);
    }

    private static ReportData.StatInfo stat(String cell, int lag, String probe, double p50) {
        return new ReportData.StatInfo(cell, 0, lag, probe, p50 - 1, p50, p50 + 1);
    }
}
