package dev.carousel.report;

import dev.carousel.report.ReportData.RunInfo;
import dev.carousel.report.ReportData.StatInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The figures of the split of ∂ℓ/∂c_t (the {@code dc_*} probes) in one section: (h) the carousel's share of the
 * flow, ‖carousel‖ / (‖carousel‖ + Σ_k ‖gate k‖), against lag, and (i) the agreement of the terms, ‖Σ terms‖ /
 * Σ ‖terms‖, against lag; each with one colour per setting, solid at initialisation (a cell's first probe round) and
 * dashed at its last. A point is the median over the colour's cells of the per-step median over sequences (p50).
 * Drawn when a cell of the section recorded the split (probes.set names it); LSTM cells that did not are counted in
 * a note.
 */
final class CellTermFigures {
    private final SectionReport s;

    CellTermFigures(SectionReport section) {
        this.s = section;
    }

    void draw() throws IOException {
        figure("dc_share", "carousel-share", "carousel share of ∂ℓ/∂c by lag",
                "share of the carousel term", "(h) the carousel's share of the terms of ∂ℓ/∂c_t that come from step t+1, "
                        + "‖δc_{t+1} ⊙ f_{t+1}‖ / (‖δc_{t+1} ⊙ f_{t+1}‖ + Σ_k ‖gate k's term through h_t‖), against lag");
        figure("dc_agreement", "term-agreement", "agreement of the terms of ∂ℓ/∂c by lag",
                "‖Σ terms‖ / Σ ‖terms‖", "(i) agreement of those five terms, ‖Σ terms‖ / Σ ‖terms‖ (1: they point one "
                        + "way; near 0: they cancel), against lag");
    }

    private void figure(String probe, String file, String title, String yTitle, String caption) throws IOException {
        Map<Object, List<RunInfo>> byKey = new LinkedHashMap<>();
        List<String> without = new ArrayList<>();
        for (RunInfo r : s.cells) {
            boolean has = s.data.stats.getOrDefault(r.cell(), List.of()).stream().anyMatch(st -> st.probe().equals(probe));
            if (has) {
                byKey.computeIfAbsent(s.colouring.axis.key(r), k -> new ArrayList<>()).add(r);
            } else if (r.lstm()) {
                without.add(r.setting());
            }
        }
        if (byKey.isEmpty()) { // no cell asked for the split (the default probe set): nothing to draw, nothing missing
            return;
        }
        if (!without.isEmpty()) {
            s.notes.add(without.size() + " LSTM cell(s) recorded without " + probe + " (probes.set), left out of "
                    + caption.substring(0, 3) + ".");
        }
        XYChart chart = Charts.xy(title + ", " + s.g.chartLabel(), "lag (steps before the loss step)", yTitle);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        for (Map.Entry<Object, List<RunInfo>> e : byKey.entrySet()) {
            RunInfo any = e.getValue().get(0);
            for (boolean end : new boolean[] {false, true}) {
                TreeMap<Integer, List<Double>> byLag = new TreeMap<>();
                for (RunInfo r : e.getValue()) {
                    List<StatInfo> st = s.data.stats.getOrDefault(r.cell(), List.of());
                    long round = end ? st.stream().mapToLong(StatInfo::round).max().orElse(0)
                            : st.stream().mapToLong(StatInfo::round).min().orElse(0);
                    for (StatInfo x : st) {
                        if (x.probe().equals(probe) && x.round() == round && !Double.isNaN(x.p50())) {
                            byLag.computeIfAbsent(x.lag(), k -> new ArrayList<>()).add(x.p50());
                        }
                    }
                }
                if (byLag.isEmpty()) {
                    continue;
                }
                List<Double> lags = byLag.keySet().stream().map(Integer::doubleValue).toList();
                List<Double> v = byLag.values().stream()
                        .map(l -> ReportData.median(l.stream().mapToDouble(Double::doubleValue).toArray())).toList();
                String label = s.colouring.legendLabel(s.colouring.series(any)) + (end ? ", end" : ", init");
                var series = Charts.add(chart, label, lags, v, s.colouring.colour(any), SeriesMarkers.NONE, true);
                if (end) {
                    series.setLineStyle(Charts.DASHED);
                }
            }
        }
        Charts.oneLegendEntryPerName(chart);
        s.save(file, Charts.render(chart, s.colouring.scale), caption + ", " + Encoding.describe(s.colouring)
                + ": solid at initialisation (first probe round), dashed at the last probe round; the median over "
                + "cells of the per-step median over sequences.");
    }
}
