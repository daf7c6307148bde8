package dev.carousel.experiment;

import dev.carousel.config.CarouselConfig;
import dev.carousel.experiment.Results.CellResult;
import dev.carousel.nn.CellType;
import dev.carousel.nn.ForgetGate;
import dev.carousel.nn.Parameters;
import dev.carousel.nn.Probe;
import dev.carousel.optim.OptimizerState;
import dev.carousel.train.BatchSource;
import dev.carousel.train.LocalSteps;
import dev.carousel.train.RunSetup;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The expectations of each experiment in {@code conf/experiments/} (keyed by the spec's file name), checked against
 * its result tables. Each spec's header comment states the same expectations with the papers they come from;
 * {@code docs/experiments.md} records the measured figures.
 *
 * <p>Conventions. A "ratio at lag L" is log10 ‖∂ℓ/∂x_{T−1−L}‖/‖∂ℓ/∂x_{T−1}‖ at initialisation for one cell, the mean
 * over its batch of the per-sequence log10 ratio ({@link CellResult#logRatioAtInit}, exact from the per-step means
 * of log10 norms); across seeds the median is taken. "Updates to 0.05" is the first evaluated update with held-out
 * MSE below 0.05 (+∞ if never), its median over seeds per setting (docs/science.md: report medians, the
 * plateau-then-drop shape makes means misleading).
 */
public final class Expectations {
    private Expectations() {}

    /** The experiments with expectations, in the order the docs present them. */
    public static final List<String> NAMES = List.of("vanishing-at-init", "exploding-at-init", "forget-bias-adding",
            "large-bias-without-input-coupling", "copy-plateau", "carousel-share");

    /** The probes each experiment's expectations read (of them, those that apply to a cell's model). */
    static final Map<String, Set<Probe>> PROBES_READ = Map.of(
            "vanishing-at-init", EnumSet.of(Probe.DH, Probe.DC, Probe.FORGET),
            "exploding-at-init", EnumSet.of(Probe.DH),
            "forget-bias-adding", EnumSet.noneOf(Probe.class),
            "large-bias-without-input-coupling", EnumSet.of(Probe.DC),
            "copy-plateau", EnumSet.noneOf(Probe.class),
            "carousel-share", EnumSet.of(Probe.DC_SHARE, Probe.DC_AGREEMENT, Probe.DC_COSINE, Probe.DC_VIA_F));

    /**
     * Checks the expectations of experiment {@code name} ({@code fast}: of its fast version) against {@code r}; when a
     * cell lacks a probe they read (its {@code probes.set} left it out), a failing check first names the cell and
     * the probes.
     */
    public static List<Check> check(String name, boolean fast, Results r) {
        List<Check> out = new ArrayList<>();
        Check probes = probesRecorded(PROBES_READ.getOrDefault(name, Set.of()), r);
        if (!probes.pass()) {
            out.add(probes);
        }
        out.addAll(expectations(name, fast, r));
        return out;
    }

    /** Whether every cell recorded each of {@code read} that applies to its model; the measured text names those that did not. */
    static Check probesRecorded(Set<Probe> read, Results r) {
        List<String> lacking = new ArrayList<>();
        for (CellResult c : r.cells()) {
            if ("failed".equals(c.status())) {
                continue; // a failed cell recorded nothing; "every cell completes" says so
            }
            Set<String> has = c.stats().stream().map(Results.Stat::probe).collect(Collectors.toSet());
            List<String> missing = read.stream().filter(p -> p.appliesTo(c.config().model().cell()))
                    .map(Probe::key).filter(k -> !has.contains(k)).toList();
            if (!missing.isEmpty()) {
                lacking.add(f("cell %s lacks %s (its probes.set: %s)", c.id(), String.join(", ", missing),
                        String.join(" ", Probe.keys(c.config().probes().set()))));
            }
        }
        return new Check("every cell records the probes these expectations read ("
                + String.join(", ", Probe.keys(read)) + ")", lacking.isEmpty(), String.join("; ", lacking));
    }

    private static List<Check> expectations(String name, boolean fast, Results r) {
        return switch (name) {
            case "vanishing-at-init" -> vanishing(r);
            case "exploding-at-init" -> exploding(r);
            case "forget-bias-adding" -> forgetBias(r, fast);
            case "large-bias-without-input-coupling" -> largeBias(r);
            case "copy-plateau" -> copyPlateau(r);
            case "carousel-share" -> CellTermExpectations.check(r);
            default -> throw new IllegalArgumentException("experiment " + name + ": no expectations defined (known: "
                    + String.join(", ", NAMES) + ")");
        };
    }

    // ---- settings

    static Predicate<CarouselConfig> learned(double bias) {
        return c -> c.model().cell() == CellType.LSTM && c.model().forgetGate() instanceof ForgetGate.Learned l
                && l.bias() == bias;
    }

    static Predicate<CarouselConfig> chrono() {
        return c -> c.model().cell() == CellType.LSTM && c.model().forgetGate() instanceof ForgetGate.Chrono;
    }

    static Predicate<CarouselConfig> rnn() {
        return c -> c.model().cell() == CellType.RNN;
    }

    static Predicate<CarouselConfig> atInit(Predicate<CarouselConfig> p) {
        return p.and(c -> c.training().updates() == 0);
    }

    static Predicate<CarouselConfig> trained(Predicate<CarouselConfig> p) {
        return p.and(c -> c.training().updates() > 0);
    }

    static double medianRatio(List<CellResult> cells, String probe, int lag) {
        return Results.median(cells.stream().map(c -> c.logRatioAtInit(probe, lag)).toList());
    }

    static double medianUpdatesTo(List<CellResult> cells, double threshold) {
        return Results.median(cells.stream().map(c -> c.updatesTo(threshold)).toList());
    }

    static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    static String updates(double u) {
        return Double.isInfinite(u) ? "never" : f("%.0f", u);
    }

    static Check missing(String expectation, String what) {
        return new Check(expectation, false, "no committed cells for " + what);
    }

    // ---- vanishing-at-init

    static List<Check> vanishing(Results r) {
        List<Check> out = new ArrayList<>();
        List<CellResult> b0 = r.where(atInit(learned(0)));
        List<CellResult> b1 = r.where(atInit(learned(1)));
        List<CellResult> ch = r.where(atInit(chrono()));
        List<CellResult> rn = r.where(atInit(rnn()));
        String order = "lag-50 cell-gradient ratio ordered bias 0 < bias 1 < chrono";
        String apart = "... each step of that order at least one decade (≪)";
        if (b0.isEmpty() || b1.isEmpty() || ch.isEmpty()) {
            out.add(missing(order, "bias 0, bias 1 and chrono"));
            out.add(missing(apart, "bias 0, bias 1 and chrono"));
        } else {
            double x0 = medianRatio(b0, "dc", 50);
            double x1 = medianRatio(b1, "dc", 50);
            double xc = medianRatio(ch, "dc", 50);
            out.add(new Check(order, x0 < x1 && x1 < xc, f("log10 ratio bias 0 %.2f, bias 1 %.2f, chrono %.2f "
                    + "(%.1e, %.1e, %.2g; median of %d/%d/%d seeds; docs/science.md calibration 2.5e-10, 8.2e-4, 0.41)",
                    x0, x1, xc, Math.pow(10, x0), Math.pow(10, x1), Math.pow(10, xc), b0.size(), b1.size(), ch.size())));
            out.add(new Check(apart, x1 - x0 >= 1 && xc - x1 >= 1, f("gaps %.2f decades (bias 0 → 1) and %.2f decades "
                    + "(bias 1 → chrono); calibration 6.5 and 2.7", x1 - x0, xc - x1)));
        }
        Map<String, List<CellResult>> forgetSettings = new LinkedHashMap<>();
        forgetSettings.put("bias 0", b0);
        forgetSettings.put("bias 1", b1);
        forgetSettings.put("chrono", ch);
        for (Map.Entry<String, List<CellResult>> e : forgetSettings.entrySet()) {
            String label = e.getKey();
            List<CellResult> cells = e.getValue();
            String what = "mean forget activation of " + label + " within ±0.01 of σ(b_f)";
            if (cells.isEmpty()) {
                out.add(missing(what, label));
                continue;
            }
            boolean pass = true;
            List<String> figures = new ArrayList<>();
            for (CellResult c : cells) {
                double expected = expectedForget(c.config());
                double measured = c.meanForgetAtInit();
                pass &= Math.abs(measured - expected) <= 0.01;
                figures.add(f("seed %d: %.4f vs %.4f", c.config().seed(), measured, expected));
            }
            out.add(new Check(what, pass, String.join("; ", figures)));
        }
        String bound = "tanh-RNN with W_h = 0.9·orthogonal stays below 0.9^lag at every lag";
        if (rn.isEmpty()) {
            out.add(missing(bound, "the tanh-RNN"));
        } else {
            boolean pass = true;
            double closest = Double.NEGATIVE_INFINITY;
            int at = -1;
            for (CellResult c : rn) {
                double g = Math.log10(c.config().model().rnnGain());
                for (int lag = 1; lag <= c.maxLag(); lag++) {
                    double slack = c.logRatioAtInit("dh", lag) - lag * g;
                    pass &= slack <= 1e-6; // float32 norms: 1e-6 in log10 is far below any real violation
                    if (slack > closest) {
                        closest = slack;
                        at = lag;
                    }
                }
            }
            out.add(new Check(bound, pass, f("closest approach log10 ratio − lag·log10 0.9 = %.3f (at lag %d; %d seeds, "
                    + "lags 1-%d); ratio at lag 50 %.2g vs 0.9^50 = %.2g", closest, at, rn.size(), rn.get(0).maxLag(),
                    Math.pow(10, medianRatio(rn, "dh", 50)), Math.pow(0.9, 50))));
        }
        return out;
    }

    /** Mean over units of σ(b_f) of the cell's own initial parameters (x and h move f by far less than 0.01). */
    static double expectedForget(CarouselConfig c) {
        RunSetup setup = RunSetup.of(c);
        Parameters p = new Parameters(setup.spec().layout(), setup.initialParameters());
        int h = c.model().hidden();
        double[] b = p.b.dup().data().asDouble();
        double sum = 0;
        for (int u = 0; u < h; u++) {
            sum += 1 / (1 + Math.exp(-b[h + u]));
        }
        return sum / h;
    }

    // ---- exploding-at-init

    static List<Check> exploding(Results r) {
        List<Check> out = new ArrayList<>();
        List<CellResult> init = r.where(atInit(rnn()));
        String grows = "tanh-RNN W_h = 1.5·orthogonal: backward ratio grows with lag (lag 10 < 25 < 50 < 99) and > 1 at lag 50";
        if (init.isEmpty()) {
            out.add(missing(grows, "the at-init tanh-RNN"));
        } else {
            int[] lags = {10, 25, 50, 99};
            double[] x = new double[lags.length];
            boolean pass = true;
            for (int i = 0; i < lags.length; i++) {
                x[i] = medianRatio(init, "dh", lags[i]);
                pass &= i == 0 || x[i] > x[i - 1];
            }
            pass &= x[2] > 0;
            out.add(new Check(grows, pass, f("ratio %.3g, %.3g, %.3g, %.3g at lags 10, 25, 50, 99 (log10 %.2f, %.2f, %.2f, "
                    + "%.2f; median of %d seeds)", Math.pow(10, x[0]), Math.pow(10, x[1]), Math.pow(10, x[2]),
                    Math.pow(10, x[3]), x[0], x[1], x[2], x[3], init.size())));
        }
        List<CellResult> clipped = r.where(rnn().and(c -> c.optimizer().clipNorm() > 0 && c.training().updates() > 0));
        String clip = "with clipping at τ every applied update has norm ≤ τ(1 + 1e-6)";
        if (clipped.isEmpty()) {
            out.add(missing(clip, "the clipped tanh-RNN"));
            return out;
        }
        boolean pass = true;
        List<String> figures = new ArrayList<>();
        for (CellResult c : clipped) {
            double tau = c.config().optimizer().clipNorm();
            double[] replay = replayUpdateNorms(c.config());
            double maxApplied = 0;
            double maxPreClip = 0;
            for (int k = 0; k < replay.length / 2; k++) {
                maxApplied = Math.max(maxApplied, replay[2 * k]);
                maxPreClip = Math.max(maxPreClip, replay[2 * k + 1]);
            }
            double committedPreClip = c.curve().stream().mapToDouble(Results.Eval::gradNorm).filter(Double::isFinite)
                    .findFirst().orElse(Double.NaN);
            pass &= maxApplied <= tau * (1 + 1e-6) && replay.length / 2 == c.updates() && "completed".equals(c.status());
            figures.add(f("seed %d: %d updates, max ‖Δθ‖/lr %.9f (τ = %g), max pre-clip norm %.3g, committed mean pre-clip "
                    + "norm of the first window %.3g, %s", c.config().seed(), replay.length / 2, maxApplied, tau,
                    maxPreClip, committedPreClip, c.status()));
        }
        out.add(new Check(clip, pass, String.join("; ", figures)));
        return out;
    }

    /**
     * Replays a one-partition cell's updates through the trainer's own step loop and returns, per update, the applied
     * update's norm ‖θ_{k+1} − θ_k‖/lr (plain SGD without momentum: the clipped gradient's norm) and the pre-clip
     * norm, interleaved: [2·updates].
     */
    static double[] replayUpdateNorms(CarouselConfig c) {
        if (c.optimizer().kind() != CarouselConfig.OptimizerKind.SGD || c.optimizer().momentum() != 0
                || c.distributed().partitions() != 1) {
            throw new IllegalArgumentException("the clipping check replays plain SGD without momentum on one partition");
        }
        RunSetup setup = RunSetup.of(c);
        LocalSteps steps = new LocalSteps(setup);
        INDArray theta = setup.initialParameters();
        OptimizerState state = steps.optimizer().newState(theta);
        BatchSource source = index -> setup.trainingBatch(0, index);
        int n = c.training().updates();
        double[] out = new double[2 * n];
        for (int k = 0; k < n; k++) {
            INDArray before = theta.dup();
            LocalSteps.Outcome o = steps.run(theta, state, source, k, 1);
            if (o.steps() != 1) {
                return java.util.Arrays.copyOf(out, 2 * k);
            }
            out[2 * k] = theta.sub(before).norm2Number().doubleValue() / c.optimizer().learningRate();
            out[2 * k + 1] = o.gradNorms()[0];
        }
        return out;
    }

    // ---- forget-bias-adding

    record Setting(String label, List<CellResult> cells, double updatesTo) {}

    static List<Setting> settings(Results r, List<String> labels, List<Predicate<CarouselConfig>> which) {
        List<Setting> out = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            List<CellResult> cells = r.where(trained(which.get(i)));
            out.add(new Setting(labels.get(i), cells, medianUpdatesTo(cells, 0.05)));
        }
        return out;
    }

    static String describe(List<Setting> settings) {
        return settings.stream().map(s -> f("%s %s [%s]", s.label(), updates(s.updatesTo()),
                s.cells().stream().map(c -> f("seed %d: %s, best %.3f", c.config().seed(), updates(c.updatesTo(0.05)),
                        c.bestUntil(Double.POSITIVE_INFINITY))).collect(Collectors.joining("; "))))
                .collect(Collectors.joining(", "));
    }

    /** The settings ordered by median updates to 0.05, ties (never) broken by median best held-out MSE. */
    public static List<String> ordering(Results r) {
        List<Setting> s = settings(r, List.of("bias 0", "bias 1", "chrono", "tanh-RNN"),
                List.of(learned(0), learned(1), chrono(), rnn()));
        return s.stream().filter(x -> !x.cells().isEmpty())
                .sorted(java.util.Comparator.comparingDouble(Setting::updatesTo).thenComparingDouble(x ->
                        Results.median(x.cells().stream().map(c -> c.bestUntil(Double.POSITIVE_INFINITY)).toList())))
                .map(Setting::label).toList();
    }

    static List<Check> forgetBias(Results r, boolean fast) {
        List<Check> out = new ArrayList<>();
        List<Setting> s = settings(r, List.of("bias 0", "bias 1", "chrono", "tanh-RNN"),
                List.of(learned(0), learned(1), chrono(), rnn()));
        Setting b0 = s.get(0);
        Setting b1 = s.get(1);
        Setting ch = s.get(2);
        Setting rn = s.get(3);
        String figures = "median updates to MSE < 0.05: " + describe(s);
        if (s.stream().anyMatch(x -> x.cells().isEmpty())) {
            out.add(missing("every setting present", s.stream().filter(x -> x.cells().isEmpty()).map(Setting::label)
                    .collect(Collectors.joining(", "))));
            return out;
        }
        int budget = ch.cells().get(0).config().training().updates();
        if (fast) {
            out.add(new Check("chrono and bias 1 reach held-out MSE < 0.05 within " + budget + " updates",
                    Double.isFinite(ch.updatesTo()) && Double.isFinite(b1.updatesTo()), figures));
            out.add(new Check("the tanh-RNN is not faster than chrono or bias 1",
                    rn.updatesTo() >= ch.updatesTo() && rn.updatesTo() >= b1.updatesTo(),
                    f("tanh-RNN %s, chrono %s, bias 1 %s", updates(rn.updatesTo()), updates(ch.updatesTo()),
                            updates(b1.updatesTo()))));
            return out;
        }
        out.add(new Check("chrono is the fastest to held-out MSE < 0.05, within the budget of " + budget + " updates",
                Double.isFinite(ch.updatesTo()) && ch.updatesTo() < b1.updatesTo() && ch.updatesTo() < b0.updatesTo()
                        && ch.updatesTo() < rn.updatesTo(), figures));
        out.add(new Check("bias 1 is next: reaches it after chrono, before bias 0 and the tanh-RNN",
                Double.isFinite(b1.updatesTo()) && b1.updatesTo() < b0.updatesTo() && b1.updatesTo() < rn.updatesTo(),
                f("bias 1 %s, bias 0 %s, tanh-RNN %s", updates(b1.updatesTo()), updates(b0.updatesTo()),
                        updates(rn.updatesTo()))));
        double when = Double.isFinite(ch.updatesTo()) ? ch.updatesTo() : budget;
        double best0 = Results.median(b0.cells().stream().map(c -> c.bestUntil(when)).toList());
        double bestR = Results.median(rn.cells().stream().map(c -> c.bestUntil(when)).toList());
        out.add(new Check("bias 0 and the tanh-RNN are still on the plateau (best held-out MSE ≥ 0.12) when chrono reaches 0.05",
                best0 >= 0.12 && bestR >= 0.12, f("at update %.0f: bias 0 best %.4f, tanh-RNN best %.4f (median over seeds)",
                        when, best0, bestR)));
        return out;
    }

    // ---- large-bias-without-input-coupling

    static List<Check> largeBias(Results r) {
        List<Check> out = new ArrayList<>();
        List<CellResult> b3 = r.where(atInit(learned(3)));
        List<CellResult> ch = r.where(atInit(chrono()));
        String grows = "bias 3 with b_i = 0: the cell gradient grows going back in time at initialisation "
                + "(ratio at lag 99 > 1 and > at lag 10)";
        if (b3.isEmpty()) {
            out.add(missing(grows, "the at-init bias-3 LSTM"));
        } else {
            double x10 = medianRatio(b3, "dc", 10);
            double x50 = medianRatio(b3, "dc", 50);
            double x99 = medianRatio(b3, "dc", 99);
            String chrono = ch.isEmpty() ? "" : f("; chrono %.3g, %.3g, %.3g", Math.pow(10, medianRatio(ch, "dc", 10)),
                    Math.pow(10, medianRatio(ch, "dc", 50)), Math.pow(10, medianRatio(ch, "dc", 99)));
            out.add(new Check(grows, x99 > 0 && x99 > x10, f("bias 3 ratio %.3g, %.3g, %.3g at lags 10, 50, 99 "
                    + "(median of %d seeds)%s", Math.pow(10, x10), Math.pow(10, x50), Math.pow(10, x99), b3.size(), chrono)));
        }
        List<Setting> s = settings(r, List.of("bias 3 (b_i = 0)", "chrono"), List.of(learned(3), chrono()));
        String worse = "bias 3 with b_i = 0 learns worse than chrono (later to MSE < 0.05, or higher best MSE if neither gets there)";
        if (s.get(0).cells().isEmpty() || s.get(1).cells().isEmpty()) {
            out.add(missing(worse, "trained bias 3 and chrono"));
            return out;
        }
        double u3 = s.get(0).updatesTo();
        double uc = s.get(1).updatesTo();
        double best3 = Results.median(s.get(0).cells().stream().map(c -> c.bestUntil(Double.POSITIVE_INFINITY)).toList());
        double bestC = Results.median(s.get(1).cells().stream().map(c -> c.bestUntil(Double.POSITIVE_INFINITY)).toList());
        boolean pass = u3 > uc || (Double.isInfinite(u3) && Double.isInfinite(uc) && best3 > bestC);
        out.add(new Check(worse, pass, f("median updates to 0.05: %s; median best held-out MSE bias 3 %.4f, chrono %.4f",
                describe(s), best3, bestC)));
        return out;
    }

    // ---- copy-plateau

    static List<Check> copyPlateau(Results r) {
        List<Check> out = new ArrayList<>();
        List<CellResult> cells = r.where(c -> c.training().updates() > 0);
        String what = "every setting first sits on the memoryless baseline 10·ln 8/(T+20) (±5%)";
        if (cells.isEmpty()) {
            out.add(missing(what, "copy"));
            return out;
        }
        boolean pass = true;
        List<String> figures = new ArrayList<>();
        double baseline = 0;
        for (CellResult c : cells) {
            baseline = 10 * Math.log(8) / (c.config().task().length() + 20);
            Results.Eval first = null;
            for (Results.Eval e : c.curve()) {
                if (e.validationLoss() <= 1.05 * baseline) {
                    first = e;
                    break;
                }
            }
            boolean ok = first != null && first.validationLoss() >= 0.95 * baseline;
            pass &= ok;
            Results.Eval last = c.curve().isEmpty() ? null : c.curve().get(c.curve().size() - 1);
            figures.add(f("%s seed %d: %s%s", label(c.config()), c.config().seed(),
                    first == null ? "never reached the band" : f("first in band at update %d (%.4f, %+.1f%%)", first.update(),
                            first.validationLoss(), 100 * (first.validationLoss() / baseline - 1)),
                    last == null ? "" : f(", last %.4f at %d", last.validationLoss(), last.update())));
        }
        out.add(new Check(what, pass, f("baseline %.4f; ", baseline) + String.join("; ", figures)));
        return out;
    }

    static String label(CarouselConfig c) {
        return c.model().cell() == CellType.RNN ? "tanh-RNN" : c.model().forgetGate().label();
    }
}
