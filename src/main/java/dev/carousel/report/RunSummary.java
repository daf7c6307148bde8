package dev.carousel.report;

import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.Probe;
import dev.carousel.stats.StepStats;
import dev.carousel.train.CurvePoint;
import dev.carousel.train.RunSetup;
import dev.carousel.train.TrainResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * A one-page Markdown summary of a training run: what ran, how it ended, the learning curve, and the
 * gradient-flow profile — median log10 of each norm probe by lag, relative to lag 0, at initialisation
 * and for the final parameters — so the vanishing (or not) of ∂ℓ/∂h_t is readable without plotting.
 */
public final class RunSummary {
    private RunSummary() {}

    public static String markdown(RunSetup setup, TrainResult r, String metricName) {
        StringBuilder md = new StringBuilder();
        md.append("# Carousel run ").append(ConfigLoader.hash(r.config())).append("\n\n");
        md.append("- model: ").append(setup.describe()).append('\n');
        md.append("- weight init: ").append(r.config().model().recurrentInit().scheme()).append('\n');
        if (setup.task() != null) {
            md.append("- task baseline: ").append(String.format(Locale.ROOT, "%.4f", setup.task().trivialBaseline()))
                    .append(" (").append(setup.task().trivialBaselineDescription()).append(")\n");
        }
        md.append("- status: ").append(r.status().name().toLowerCase()).append(" after ").append(r.updates())
                .append(" updates");
        if (r.divergedAt() >= 0) {
            md.append(" (diverged at update ").append(r.divergedAt()).append(')');
        }
        md.append(String.format(Locale.ROOT, ", %.1f s%n%n", r.wallSeconds()));

        md.append("## Learning curve\n\n| update | train loss | validation loss | validation ").append(metricName)
                .append(" | grad norm |\n|---:|---:|---:|---:|---:|\n");
        for (CurvePoint p : sample(r.curve(), 12)) {
            md.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s |%n", p.update(), num(p.trainLoss()),
                    num(p.validationLoss()), num(p.validationMetric()), num(p.gradNorm())));
        }
        if (r.stepStats().isEmpty()) {
            return md.toString();
        }
        long first = r.stepStats().firstKey();
        long last = r.stepStats().lastKey();
        StepStats init = r.stepStats().get(first);
        StepStats end = r.stepStats().get(last);
        int lastLoss = init.lastLossStep().orElse(init.steps() - 1);
        md.append("\n## Gradient flow by lag (median log10 norm relative to lag 0; update ").append(first)
                .append(" vs ").append(last).append(")\n\n");
        List<Probe> shown = new ArrayList<>();
        for (Probe p : new Probe[] {Probe.DH, Probe.DC, Probe.PATH_GAIN}) {
            if (init.probes().contains(p)) {
                shown.add(p);
            }
        }
        md.append("| lag |");
        for (Probe p : shown) {
            md.append(' ').append(p.key()).append(" @").append(first).append(" | ").append(p.key()).append(" @")
                    .append(last).append(" |");
        }
        md.append("\n|---:|").append("---:|---:|".repeat(shown.size())).append('\n');
        for (int lag : lags(lastLoss)) {
            int t = lastLoss - lag;
            md.append("| ").append(lag).append(" |");
            for (Probe p : shown) {
                md.append(' ').append(num(relative(init, p, t, lastLoss))).append(" | ")
                        .append(num(relative(end, p, t, lastLoss))).append(" |");
            }
            md.append('\n');
        }
        if (init.probes().contains(Probe.FORGET)) {
            md.append(String.format(Locale.ROOT, "%nMean forget activation at the last loss step: %s at update %d, %s at update %d.%n",
                    num(init.summary(Probe.FORGET, lastLoss).mean()), first,
                    num(end.summary(Probe.FORGET, lastLoss).mean()), last));
        }
        return md.toString();
    }

    private static double relative(StepStats s, Probe p, int t, int lastLoss) {
        return s.summary(p, t).p50() - s.summary(p, lastLoss).p50();
    }

    /** 0, 1, 2, 5, 10, 20, 50, … up to the first step. */
    static List<Integer> lags(int maxLag) {
        TreeSet<Integer> out = new TreeSet<>();
        for (int decade = 1; decade <= Math.max(1, maxLag); decade *= 10) {
            for (int m : new int[] {1, 2, 5}) {
                if (m * decade <= maxLag) {
                    out.add(m * decade);
                }
            }
        }
        out.add(0);
        out.add(maxLag);
        return new ArrayList<>(out);
    }

    private static List<CurvePoint> sample(List<CurvePoint> curve, int max) {
        if (curve.size() <= max) {
            return curve;
        }
        List<CurvePoint> out = new ArrayList<>();
        for (int k = 0; k < max; k++) {
            out.add(curve.get((int) Math.round(k * (curve.size() - 1) / (double) (max - 1))));
        }
        return out;
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.4g", v);
    }
}
