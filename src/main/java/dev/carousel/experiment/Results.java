package dev.carousel.experiment;

import dev.carousel.config.CarouselConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.Predicate;

/**
 * A sweep's result tables read back as plain values (no Spark here: {@link ResultsReader} fills it), with the few
 * measurements the experiment checks need.
 *
 * @param cells every committed cell, in id order
 */
public record Results(List<CellResult> cells) {

    /** One evaluation of the {@code curves} table. */
    public record Eval(long update, double validationLoss, double gradNorm) {}

    /** One row of {@code step_stats}: statistics over the sequences of one probe at one step and round. */
    public record Stat(long round, int t, int lag, String probe, double mean, double p50) {}

    /**
     * One cell.
     *
     * @param config its resolved config (from the {@code runs} table's canonical config)
     * @param curve  its evaluations in update order
     * @param stats  its {@code step_stats} rows
     */
    public record CellResult(String id, CarouselConfig config, String status, long updates, List<Eval> curve,
                             List<Stat> stats) {

        /** The statistic {@code mean} of {@code probe} at {@code round} and {@code lag} (NaN if absent). */
        public double mean(String probe, long round, int lag) {
            for (Stat s : stats) {
                if (s.round() == round && s.lag() == lag && s.probe().equals(probe)) {
                    return s.mean();
                }
            }
            return Double.NaN;
        }

        /**
         * log10 ‖∂ℓ/∂x_{T−lag}‖/‖∂ℓ/∂x_T‖ at initialisation (round 0) for probe {@code dh} or {@code dc}, averaged
         * over the batch: the per-step {@code mean} is the mean over sequences of log10 of the norm, so the difference
         * of two means is exactly the mean over sequences of the per-sequence log ratio (a geometric mean of ratios).
         */
        public double logRatioAtInit(String probe, int lag) {
            return mean(probe, 0, lag) - mean(probe, 0, 0);
        }

        /** The largest lag recorded at initialisation. */
        public int maxLag() {
            return stats.stream().filter(s -> s.round() == 0).mapToInt(Stat::lag).max().orElse(0);
        }

        /** Mean over the steps of the per-step mean forget activation at initialisation. */
        public double meanForgetAtInit() {
            return stats.stream().filter(s -> s.round() == 0 && s.probe().equals("forget"))
                    .mapToDouble(Stat::mean).average().orElse(Double.NaN);
        }

        /** The first evaluated update with held-out loss below {@code threshold}, or +∞ if none. */
        public double updatesTo(double threshold) {
            for (Eval e : curve) {
                if (e.validationLoss() < threshold) {
                    return e.update();
                }
            }
            return Double.POSITIVE_INFINITY;
        }

        /** The lowest held-out loss at evaluations up to and including {@code update}. */
        public double bestUntil(double update) {
            OptionalDouble m = curve.stream().filter(e -> e.update() <= update).mapToDouble(Eval::validationLoss).min();
            return m.orElse(Double.NaN);
        }

        public boolean atInitOnly() {
            return config.training().updates() == 0;
        }
    }

    /** The cells whose config matches, ordered by seed. */
    public List<CellResult> where(Predicate<CarouselConfig> p) {
        List<CellResult> out = new ArrayList<>();
        for (CellResult c : cells) {
            if (p.test(c.config())) {
                out.add(c);
            }
        }
        out.sort(Comparator.comparingLong(c -> c.config().seed()));
        return out;
    }

    /** Median of the values (the mean of the middle two for an even count; ±∞ sort as numbers); NaN if empty. */
    public static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> v = new ArrayList<>(values);
        v.sort(Double::compare);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }
}
