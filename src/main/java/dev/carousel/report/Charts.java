package dev.carousel.report;

import dev.carousel.report.ReportData.RunInfo;
import dev.carousel.report.ReportData.StatInfo;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's figures, drawn headless with XChart into images: scatter plots of a per-cell summary against an
 * axis (with the median over the cells at each position), per-cell lines against update, lag profiles, and
 * heatmaps of the ∂ℓ/∂h profile by lag × setting as small multiples over probe rounds. Colours follow an
 * {@link Encoding.Colouring}; a colour scale is drawn as a bar at the right.
 */
final class Charts {
    static final int WIDTH = 900;
    static final int HEIGHT = 560;
    static final BasicStroke SOLID = new BasicStroke(1.2f);
    static final BasicStroke DASHED = new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
            new float[] {6f, 4f}, 0f);

    private Charts() {}

    /** An image and how many legend entries it shows. */
    record Drawn(BufferedImage image, int legendEntries) {}

    static XYChart xy(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        return chart;
    }

    static void style(Styler s) {
        s.setAntiAlias(true);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setChartTitleVisible(true);
        s.setLegendBorderColor(Color.LIGHT_GRAY);
    }

    /** {@code chart} painted into a {@link #WIDTH}×{@link #HEIGHT} image, with {@code scale}'s bar at the right. */
    static Drawn render(XYChart chart, ColourScale scale) {
        int legend = (int) chart.getSeriesMap().values().stream().filter(XYSeries::isShowInLegend).count();
        chart.getStyler().setLegendVisible(legend > 0);
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        int plotWidth = scale == null ? WIDTH : WIDTH - ColourScale.BAR_WIDTH;
        chart.paint(g, plotWidth, HEIGHT);
        if (scale != null) {
            scale.paint(g, plotWidth, 0, HEIGHT);
        }
        g.dispose();
        return new Drawn(image, legend);
    }

    /** Adds a series of (x, y) points; {@code label} null means no legend entry (a unique hidden name is made). */
    static XYSeries add(XYChart chart, String label, List<Double> x, List<Double> y, Color colour, Marker marker,
                        boolean line) {
        String name = label != null ? label : "\u0000" + chart.getSeriesMap().size();
        XYSeries s = chart.addSeries(name, x, y);
        s.setShowInLegend(label != null);
        s.setLineColor(colour);
        s.setMarkerColor(colour);
        s.setMarker(marker);
        if (!line) {
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        } else {
            s.setLineStyle(SOLID); // XChart cycles dash patterns by series index otherwise
            s.setLineWidth(1.2f);
        }
        return s;
    }

    /** Hides the legend entry of every series but the first of each name, so a key shows once however many lines it has. */
    static void oneLegendEntryPerName(XYChart chart) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        chart.getSeriesMap().values().forEach(s -> {
            if (s.isShowInLegend() && !seen.add(s.getName())) {
                s.setShowInLegend(false);
            }
        });
    }

    /**
     * One point per cell at (placement, y), coloured by {@code colouring}, and the median of y over the cells at each
     * position as a black line. Cells whose y is NaN are left out; cells for which {@code never} holds are drawn as
     * crosses at {@code neverY} instead.
     *
     * @return the chart, for the caller to add reference lines and tick labels before {@link #render}
     */
    static XYChart scatter(String title, String yTitle, List<RunInfo> cells, Encoding.Placement x,
                           Encoding.Colouring colouring, ToDoubleFunction<RunInfo> y, Function<RunInfo, Boolean> never,
                           double neverY) {
        XYChart chart = xy(title, x.axis.title(), yTitle);
        chart.setCustomXAxisTickLabelsFormatter(x::tick);
        if (x.categorical && x.positions.size() > 5) {
            chart.getStyler().setXAxisLabelRotation(35);
        }
        Map<Object, List<double[]>> bySeries = new LinkedHashMap<>();
        Map<Object, List<double[]>> neverBySeries = new LinkedHashMap<>();
        colouring.legend.keySet().forEach(k -> bySeries.put(k, new ArrayList<>()));
        TreeMap<Double, List<Double>> atPosition = new TreeMap<>();
        for (RunInfo r : cells) {
            Double px = x.position(r);
            if (px == null) {
                continue;
            }
            boolean isNever = never.apply(r);
            double v = isNever ? neverY : y.applyAsDouble(r);
            if (Double.isNaN(v)) {
                continue;
            }
            (isNever ? neverBySeries : bySeries).computeIfAbsent(colouring.series(r), k -> new ArrayList<>())
                    .add(new double[] {px, v});
            atPosition.computeIfAbsent(px, k -> new ArrayList<>()).add(v);
        }
        for (Map.Entry<Object, List<double[]>> e : bySeries.entrySet()) {
            if (!e.getValue().isEmpty()) {
                add(chart, colouring.legendLabel(e.getKey()), xs(e.getValue()), ys(e.getValue()),
                        colouring.seriesColour(e.getKey()), SeriesMarkers.CIRCLE, false);
            }
        }
        for (Map.Entry<Object, List<double[]>> e : neverBySeries.entrySet()) {
            add(chart, null, xs(e.getValue()), ys(e.getValue()), colouring.seriesColour(e.getKey()), SeriesMarkers.CROSS,
                    false);
        }
        if (!atPosition.isEmpty()) {
            List<Double> mx = new ArrayList<>(atPosition.keySet());
            List<Double> my = atPosition.values().stream()
                    .map(v -> ReportData.median(v.stream().mapToDouble(Double::doubleValue).toArray())).toList();
            XYSeries m = add(chart, "median over cells", mx, my, Color.BLACK, mx.size() <= 40 ? SeriesMarkers.DIAMOND
                    : SeriesMarkers.NONE, true);
            m.setLineWidth(1.6f);
        }
        return chart;
    }

    /**
     * One line per cell of (x, y) points ({@code points} gives them, in x order), coloured by {@code colouring};
     * the first line of each legend key carries the legend entry.
     */
    static XYChart lines(String title, String xTitle, String yTitle, List<RunInfo> cells,
                         Encoding.Colouring colouring, Function<RunInfo, List<double[]>> points) {
        XYChart chart = xy(title, xTitle, yTitle);
        Map<Object, Boolean> named = new LinkedHashMap<>();
        List<Object> order = new ArrayList<>(colouring.legend.keySet());
        List<RunInfo> sorted = new ArrayList<>(cells);
        sorted.sort(java.util.Comparator.comparingInt(r -> {
            int i = order.indexOf(colouring.axis.key(r));
            return i < 0 ? order.size() : i;
        }));
        for (RunInfo r : sorted) {
            List<double[]> p = points.apply(r);
            if (p.isEmpty()) {
                continue;
            }
            Object key = colouring.series(r);
            String label = named.containsKey(key) ? null : colouring.legendLabel(key);
            named.put(key, true);
            add(chart, label, xs(p), ys(p), colouring.colour(r), p.size() == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE,
                    true).setLineWidth(cells.size() > 200 ? 0.6f : 1.2f);
        }
        return chart;
    }

    /**
     * An invisible tick label for the tick at {@code v}, distinct for each v: XChart 3.8.8 keeps recomputing an
     * axis's ticks until their labels are unique, so a formatter that blanks several ticks must blank each
     * differently (zero-width spaces, as many as the tick's rank).
     */
    static String blank(double v, Map<Double, Integer> ranks) {
        return "\u200B".repeat(ranks.computeIfAbsent(v, k -> ranks.size() + 1));
    }

    static List<Double> xs(List<double[]> p) {
        return p.stream().map(v -> v[0]).toList();
    }

    static List<Double> ys(List<double[]> p) {
        return p.stream().map(v -> v[1]).toList();
    }

    // ---------------------------------------------------------------- heatmaps

    /** Rows (settings, top to bottom) by lag: the median over a row's cells of p50, per shown round. */
    record Grid(List<String> rows, List<Integer> lags, Map<Long, Map<String, TreeMap<Integer, Double>>> byRound) {}

    /**
     * The ∂ℓ/∂h heatmaps of {@code grid}, one panel per round, three to a row, on one colour scale [lo, hi] with a
     * colour bar at the right.
     */
    static Drawn heatmaps(Grid grid, String title, double lo, double hi) {
        List<Long> rounds = new ArrayList<>(grid.byRound().keySet());
        int cols = Math.min(3, rounds.size());
        int rowsOfPanels = (rounds.size() + cols - 1) / cols;
        int panelWidth = 420;
        int panelHeight = Math.max(300, Math.min(560, 130 + 24 * grid.rows().size()));
        int width = cols * panelWidth + ColourScale.BAR_WIDTH;
        int titleHeight = 34;
        int height = titleHeight + rowsOfPanels * panelHeight;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(g.getFont().deriveFont(15f));
        g.drawString(title, 12, 22);
        ColourScale scale = new ColourScale(lo, hi, "median log10 ‖∂ℓ/∂h‖");
        double ceiling = hi - 1e-9 * (hi - lo);
        for (int i = 0; i < rounds.size(); i++) {
            Map<String, TreeMap<Integer, Double>> m = grid.byRound().get(rounds.get(i));
            List<Number[]> data = new ArrayList<>();
            for (int y = 0; y < grid.rows().size(); y++) {
                TreeMap<Integer, Double> row = m.get(grid.rows().get(y));
                if (row == null) {
                    continue;
                }
                for (int xi = 0; xi < grid.lags().size(); xi++) {
                    Double v = row.get(grid.lags().get(xi));
                    if (v != null && !Double.isNaN(v)) {
                        // XChart 3.8.8's gradient lookup indexes past its colour array at exactly hi
                        // (PlotContent_HeatMap.getGradientColor): values are clamped just below it.
                        data.add(new Number[] {xi, y, Math.max(lo, Math.min(v, ceiling))});
                    }
                }
            }
            HeatMapChart chart = new HeatMapChartBuilder().width(panelWidth).height(panelHeight)
                    .title("update " + rounds.get(i)).xAxisTitle("lag").yAxisTitle(i % cols == 0 ? "setting" : "").build();
            style(chart.getStyler());
            chart.getStyler().setLegendVisible(false);
            chart.getStyler().setMin(lo).setMax(hi);
            chart.getStyler().setShowValue(false);
            chart.getStyler().setRangeColors(new Color[] {scale.colour(lo), scale.colour(lo + (hi - lo) * 0.25),
                scale.colour(lo + (hi - lo) * 0.5), scale.colour(lo + (hi - lo) * 0.75), scale.colour(hi)});
            chart.getStyler().setXAxisMaxLabelCount(8);
            chart.getStyler().setYAxisDecimalPattern("0");
            chart.getStyler().setXAxisDecimalPattern("0");
            if (data.isEmpty()) {
                data.add(new Number[] {0, 0, lo});
            }
            List<Integer> rowIndex = new ArrayList<>();
            for (int y = 0; y < grid.rows().size(); y++) {
                rowIndex.add(y);
            }
            // Rows by index, labelled by a formatter: XChart 3.8.8 thins and repeats string category labels here.
            Map<Double, Integer> blanks = new java.util.HashMap<>();
            chart.setCustomYAxisTickLabelsFormatter(v -> {
                int y = (int) Math.round(v);
                return Math.abs(v - y) < 1e-6 && y >= 0 && y < grid.rows().size() ? grid.rows().get(y) : blank(v, blanks);
            });
            chart.addSeries("dh", grid.lags(), rowIndex, data);
            Graphics2D panel = (Graphics2D) g.create((i % cols) * panelWidth, titleHeight + (i / cols) * panelHeight,
                    panelWidth, panelHeight);
            chart.paint(panel, panelWidth, panelHeight);
            panel.dispose();
        }
        scale.paint(g, cols * panelWidth, titleHeight, rowsOfPanels * panelHeight);
        g.dispose();
        return new Drawn(image, 0);
    }

    /** The median over cells of each row's p50 by lag and round; rows in {@code rowOf}'s order of {@code rows}. */
    static Grid grid(List<RunInfo> cells, Map<String, List<StatInfo>> stats, List<String> rows,
                     Function<RunInfo, String> rowOf, List<Long> rounds) {
        Map<Long, Map<String, TreeMap<Integer, List<Double>>>> acc = new TreeMap<>();
        java.util.TreeSet<Integer> lags = new java.util.TreeSet<>();
        for (RunInfo r : cells) {
            for (StatInfo s : stats.getOrDefault(r.cell(), List.of())) {
                if (s.probe().equals("dh") && !Double.isNaN(s.p50()) && rounds.contains(s.round())) {
                    acc.computeIfAbsent(s.round(), k -> new LinkedHashMap<>()).computeIfAbsent(rowOf.apply(r),
                            k -> new TreeMap<>()).computeIfAbsent(s.lag(), k -> new ArrayList<>()).add(s.p50());
                    lags.add(s.lag());
                }
            }
        }
        Map<Long, Map<String, TreeMap<Integer, Double>>> out = new TreeMap<>();
        acc.forEach((round, byRow) -> {
            Map<String, TreeMap<Integer, Double>> m = new LinkedHashMap<>();
            byRow.forEach((row, byLag) -> {
                TreeMap<Integer, Double> med = new TreeMap<>();
                byLag.forEach((lag, v) -> med.put(lag, ReportData.median(v.stream().mapToDouble(Double::doubleValue).toArray())));
                m.put(row, med);
            });
            out.put(round, m);
        });
        List<String> present = rows.stream().filter(row -> out.values().stream().anyMatch(m -> m.containsKey(row))).toList();
        return new Grid(present, new ArrayList<>(lags), out);
    }
}
