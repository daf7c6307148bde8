package dev.carousel.experiment;

import static dev.carousel.experiment.Expectations.chrono;
import static dev.carousel.experiment.Expectations.f;
import static dev.carousel.experiment.Expectations.learned;

import dev.carousel.config.CarouselConfig;
import dev.carousel.experiment.Results.CellResult;
import dev.carousel.nn.CellType;
import dev.carousel.nn.ForgetGate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The expectations of {@code carousel-share}: how the split of ∂ℓ/∂c_t into the carousel term and the gate terms
 * (the {@code dc_*} probes) depends on the forget setting, on lag and on training. A cell's share or agreement over a
 * band of lags is the mean over those lags of the per-step mean over sequences; across seeds the median is taken.
 */
final class CellTermExpectations {
    private CellTermExpectations() {}

    static Predicate<CarouselConfig> fixed() {
        return c -> c.model().cell() == CellType.LSTM && c.model().forgetGate() instanceof ForgetGate.Fixed;
    }

    /** The settings in the order the spec lists them. */
    static Map<String, Predicate<CarouselConfig>> settings() {
        Map<String, Predicate<CarouselConfig>> s = new LinkedHashMap<>();
        s.put("bias 0", learned(0));
        s.put("bias 1", learned(1));
        s.put("chrono", chrono());
        s.put("fixed(1.0)", fixed());
        return s;
    }

    /** Mean over lags [from, to] of the per-step mean of {@code probe} at {@code round} (NaN steps left out). */
    static double band(CellResult c, String probe, long round, int from, int to) {
        double sum = 0;
        int n = 0;
        for (int lag = from; lag <= to; lag++) {
            double v = c.mean(probe, round, lag);
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    static long lastRound(CellResult c) {
        return c.stats().stream().mapToLong(Results.Stat::round).max().orElse(0);
    }

    /** Lag bands the share and agreement are compared in: near the loss, the middle and the far end of T = 50. */
    static final int[][] BANDS = {{1, 5}, {20, 29}, {40, 49}};

    static List<Check> check(Results r) {
        List<Check> out = new ArrayList<>();
        Map<String, List<CellResult>> by = new LinkedHashMap<>();
        settings().forEach((name, p) -> by.put(name, r.where(p.and(c -> c.training().updates() > 0))));
        List<String> absent = by.entrySet().stream().filter(e -> e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
        if (!absent.isEmpty()) {
            out.add(Expectations.missing("carousel-share expectations", String.join(", ", absent)));
            return out;
        }
        out.add(shareOrder(by));
        out.add(shareRisesWhenLearning(by));
        out.add(chronoShareFalls(by.get("chrono")));
        out.add(agreementOrder(by));
        out.add(cosines(by));
        out.add(exact(by));
        return out;
    }

    /** At init, in each lag band, every cell of a setting lies above every cell of the setting before it. */
    static Check shareOrder(Map<String, List<CellResult>> by) {
        String what = "carousel share at init ordered bias 0 < bias 1 < fixed(1.0) < chrono in every lag band, every seed";
        boolean pass = true;
        StringBuilder m = new StringBuilder();
        for (int[] band : BANDS) {
            m.append(f("lags %d-%d:", band[0], band[1]));
            double below = Double.NEGATIVE_INFINITY;
            for (String name : List.of("bias 0", "bias 1", "fixed(1.0)", "chrono")) {
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (CellResult c : by.get(name)) {
                    double v = band(c, "dc_share", 0, band[0], band[1]);
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                pass &= lo > below;
                below = hi;
                m.append(f(" %s %.3f-%.3f", name, lo, hi));
            }
            m.append("; ");
        }
        return new Check(what, pass, m.toString().replaceAll("[;\\s]+$", ""));
    }

    /** Median over seeds of the share at lags 20–29 rises by at least 0.1 from init to the end, for bias 0 and bias 1. */
    static Check shareRisesWhenLearning(Map<String, List<CellResult>> by) {
        String what = "bias 0 and bias 1: median carousel share at lags 20-29 rises by >= 0.1 from init to the end";
        boolean pass = true;
        StringBuilder m = new StringBuilder();
        for (String name : List.of("bias 0", "bias 1")) {
            List<CellResult> cells = by.get(name);
            double init = Results.median(cells.stream().map(c -> band(c, "dc_share", 0, 20, 29)).toList());
            double end = Results.median(cells.stream().map(c -> band(c, "dc_share", lastRound(c), 20, 29)).toList());
            pass &= end - init >= 0.1;
            m.append(f("%s %.3f -> %.3f; ", name, init, end));
        }
        return new Check(what, pass, m.toString().replaceAll("[;\\s]+$", ""));
    }

    static Check chronoShareFalls(List<CellResult> chrono) {
        String what = "chrono: carousel share at lags 20-29 lower at the end than at init, every seed";
        boolean pass = true;
        StringBuilder m = new StringBuilder();
        for (CellResult c : chrono) {
            double init = band(c, "dc_share", 0, 20, 29);
            double end = band(c, "dc_share", lastRound(c), 20, 29);
            pass &= end < init;
            m.append(f("seed %d %.3f -> %.3f; ", c.config().seed(), init, end));
        }
        return new Check(what, pass, m.toString().replaceAll("[;\\s]+$", ""));
    }

    /** At init, near the loss step (lags 1–5), chrono's terms agree more than any other setting's, every seed. */
    static Check agreementOrder(Map<String, List<CellResult>> by) {
        String what = "agreement at init, lags 1-5: every chrono cell above every other cell";
        double chronoLow = by.get("chrono").stream().mapToDouble(c -> band(c, "dc_agreement", 0, 1, 5)).min().orElse(Double.NaN);
        double othersHigh = Double.NEGATIVE_INFINITY;
        StringBuilder m = new StringBuilder();
        for (Map.Entry<String, List<CellResult>> e : by.entrySet()) {
            double lo = e.getValue().stream().mapToDouble(c -> band(c, "dc_agreement", 0, 1, 5)).min().orElse(Double.NaN);
            double hi = e.getValue().stream().mapToDouble(c -> band(c, "dc_agreement", 0, 1, 5)).max().orElse(Double.NaN);
            if (!e.getKey().equals("chrono")) {
                othersHigh = Math.max(othersHigh, hi);
            }
            m.append(f("%s %.3f-%.3f; ", e.getKey(), lo, hi));
        }
        return new Check(what, chronoLow > othersHigh, m.toString().replaceAll("[;\\s]+$", ""));
    }

    /** At init the gate terms point with the carousel for learned biases and across it for chrono. */
    static Check cosines(Map<String, List<CellResult>> by) {
        String what = "cosine(carousel, gate terms) at init over lags 1-49: >= 0.75 for bias 0 and bias 1, <= 0.3 for chrono, every seed";
        boolean pass = true;
        StringBuilder m = new StringBuilder();
        for (String name : List.of("bias 0", "bias 1", "chrono")) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (CellResult c : by.get(name)) {
                double v = band(c, "dc_cosine", 0, 1, c.maxLag());
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            pass &= name.equals("chrono") ? hi <= 0.3 : lo >= 0.75;
            m.append(f("%s %.3f-%.3f; ", name, lo, hi));
        }
        return new Check(what, pass, m.toString().replaceAll("[;\\s]+$", ""));
    }

    /**
     * Exact: with f fixed the forget gate has no parameters, so its term is zero at every step and round (no finite
     * value recorded); shares and agreements lie in [0, 1] (the triangle inequality).
     */
    static Check exact(Map<String, List<CellResult>> by) {
        String what = "exact: fixed(1.0) has no forget-gate term (dc_via_f all zero); share and agreement in [0, 1]";
        long finiteViaF = by.get("fixed(1.0)").stream().flatMap(c -> c.stats().stream())
                .filter(st -> st.probe().equals("dc_via_f") && !Double.isNaN(st.mean())).count();
        long viaFRows = by.get("fixed(1.0)").stream().flatMap(c -> c.stats().stream())
                .filter(st -> st.probe().equals("dc_via_f")).count();
        long outside = by.values().stream().flatMap(List::stream).flatMap(c -> c.stats().stream())
                .filter(st -> st.probe().equals("dc_share") || st.probe().equals("dc_agreement"))
                .filter(st -> st.mean() < 0 || st.mean() > 1).count();
        return new Check(what, viaFRows > 0 && finiteViaF == 0 && outside == 0,
                f("fixed(1.0): %d of %d dc_via_f rows with a finite value; %d share/agreement means outside [0, 1]",
                        finiteViaF, viaFRows, outside));
    }
}
