package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import dev.carousel.sweep.CostEstimate;
import dev.carousel.train.LocalTrainer;
import dev.carousel.train.MemoryCheck;
import dev.carousel.train.RunSetup;
import dev.carousel.train.TrainResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Every run config drawn over the documented range of every key ({@code carousel-defaults.conf}: each key's
 * range or choices), its edges and one step outside them, is either accepted or refused as bad input in one line:
 * never an internal failure (exit 1) nor a stack trace. Each key is drawn on its own, so products of in-range
 * sizes (model.hidden × task.length × training.batch-size) come up as they would from a user. Validation runs in
 * process on the {@code validate} command's path (the loader, the run setup, the memory check against this JVM,
 * the cost estimate), and a sample through the real CLI; small accepted configs train one update.
 */
class ConfigRangePropertyTest {

    /** One drawn value per key, as HOCON value text given to {@code --set}. */
    static final Map<String, Arbitrary<String>> KEYS = keys();

    private static Map<String, Arbitrary<String>> keys() {
        Map<String, Arbitrary<String>> k = new LinkedHashMap<>();
        k.put("seed", Arbitraries.frequencyOf(Tuple.of(85, Arbitraries.longs().map(String::valueOf)),
                Tuple.of(14, Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE).map(String::valueOf)),
                Tuple.of(1, Arbitraries.just("9223372036854775808"))));
        k.put("task.name", choice("adding", "copy", "temporal-order"));
        k.put("task.length", integer(2, 100_000));
        k.put("task.validation-sequences", integer(1, 10_000_000));
        k.put("model.cell", choice("lstm", "rnn"));
        k.put("model.hidden", integer(1, 65_536));
        k.put("model.forget-gate.mode", choice("learned", "chrono", "uniform", "fixed", "none"));
        k.put("model.forget-gate.bias", Arbitraries.frequencyOf(
                Tuple.of(90, uniform(-1e6, 1e6).map(String::valueOf)),
                Tuple.of(9, Arbitraries.of(-Double.MAX_VALUE, Double.MAX_VALUE, 0.0, -Double.MIN_VALUE).map(String::valueOf)),
                Tuple.of(1, Arbitraries.of("Infinity", "NaN", "1e309"))));
        k.put("model.forget-gate.tmax", Arbitraries.frequencyOf(Tuple.of(20, Arbitraries.just("0")),
                Tuple.of(80, integer(2, 1_000_000)), Tuple.of(1, Arbitraries.of("1"))));
        k.put("model.forget-gate.value", real(0, 1, true, false));
        k.put("model.rnn-gain", real(0, 100, false, false));
        k.put("model.recurrent-init", choice("orthogonal", "glorot"));
        k.put("model.precision", choice("float32", "float64"));
        k.put("optimizer.name", choice("sgd", "adam", "rmsprop"));
        k.put("optimizer.learning-rate", real(0, 10, true, false));
        for (String key : List.of("optimizer.momentum", "optimizer.beta1", "optimizer.beta2", "optimizer.rho")) {
            k.put(key, real(0, 1, false, true));
        }
        k.put("optimizer.epsilon", real(0, 1, true, false));
        k.put("optimizer.clip-norm", real(0, Double.MAX_VALUE, false, false));
        k.put("training.batch-size", integer(1, 65_536));
        k.put("training.updates", integer(0, 100_000_000));
        k.put("training.eval-every", integer(1, Integer.MAX_VALUE));
        k.put("probes.enabled", choice("true", "false"));
        k.put("probes.every", integer(1, Integer.MAX_VALUE));
        k.put("probes.set", Arbitraries.frequencyOf(
                Tuple.of(95, Arbitraries.subsetOf(dev.carousel.nn.Probe.allKeys()).ofMinSize(1)
                        .map(s -> "\"" + String.join(", ", s) + "\"")),
                Tuple.of(4, Arbitraries.just("all")), Tuple.of(1, Arbitraries.of("\"dh bogus\"", "\"\""))));
        k.put("distributed.partitions", integer(1, 100_000));
        k.put("distributed.local-steps", integer(1, 100_000_000));
        k.put("distributed.aggregation-depth", integer(1, 16));
        k.put("distributed.optimizer-state", choice("average", "reset"));
        k.put("distributed.checkpoint-every", integer(0, Integer.MAX_VALUE));
        k.put("data.format", Arbitraries.frequencyOf(Tuple.of(90, Arbitraries.just("generated")),
                Tuple.of(10, Arbitraries.of("parquet", "csv", "text")), Tuple.of(1, Arbitraries.just("json"))));
        k.put("data.path", Arbitraries.of("\"\"", "\"data/sequences.csv\""));
        k.put("data.validation-fraction", real(0, 1, true, true));
        return k;
    }

    /**
     * An integer key in [lo, hi]: log-uniform inside (a size of 30,000 is as likely as one of 30), the edges lo and
     * hi, and rarely one step outside.
     */
    static Arbitrary<String> integer(long lo, long hi) {
        Arbitrary<String> inside = uniform(0, Math.log1p((double) hi - lo))
                .map(u -> String.valueOf(Math.min(hi, lo + (long) Math.expm1(u))));
        return Arbitraries.frequencyOf(Tuple.of(80, inside), Tuple.of(15, Arbitraries.of(lo, hi).map(String::valueOf)),
                Tuple.of(1, Arbitraries.of(lo - 1, hi + 1).map(String::valueOf)));
    }

    /**
     * A real key in the interval from lo to hi, open at either end as documented: uniform and log-uniform inside,
     * the closed ends or the nearest doubles to the open ones, and rarely the open end itself or just past a closed one.
     */
    static Arbitrary<String> real(double lo, double hi, boolean loOpen, boolean hiOpen) {
        double first = loOpen ? Math.nextUp(lo) : lo;
        double last = hiOpen ? Math.nextDown(hi) : hi;
        Arbitrary<Double> uniform = uniform(first, last);
        Arbitrary<Double> logUniform = uniform(Math.log(Math.max(first, 1e-300)), Math.log(last))
                .map(Math::exp).filter(v -> v >= first && v <= last);
        return Arbitraries.frequencyOf(Tuple.of(40, uniform), Tuple.of(40, logUniform),
                        Tuple.of(15, Arbitraries.of(first, last)),
                        Tuple.of(1, Arbitraries.of(loOpen ? lo : Math.nextDown(lo), hiOpen ? hi : Math.nextUp(hi))))
                .map(String::valueOf);
    }

    /**
     * A double uniform in [a, b], at full precision (jqwik's decimal generator rounds to a scale and refuses bounds
     * such as Double.MAX_VALUE); b − a may overflow, so it is drawn as a + u·b − u·a.
     */
    static Arbitrary<Double> uniform(double a, double b) {
        return Arbitraries.randomValue(r -> {
            double u = r.nextDouble();
            return Math.min(b, Math.max(a, a - u * a + u * b));
        });
    }

    static Arbitrary<String> choice(String... names) {
        return Arbitraries.frequencyOf(Tuple.of(99, Arbitraries.of(names)), Tuple.of(1, Arbitraries.just("bogus")));
    }

    /** Every key of the table, each drawn on its own. */
    @Provide
    static Arbitrary<Map<String, String>> configs() {
        List<String> paths = List.copyOf(KEYS.keySet());
        return Combinators.combine(paths.stream().map(KEYS::get).toList()).as(values -> {
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < paths.size(); i++) {
                m.put(paths.get(i), values.get(i));
            }
            return m;
        });
    }

    /** Configs small enough to train one update in well under a second, other keys over their whole range. */
    @Provide
    static Arbitrary<Map<String, String>> smallConfigs() {
        return configs().map(m -> {
            Map<String, String> s = new LinkedHashMap<>(m);
            s.put("model.hidden", String.valueOf(1 + Math.floorMod(m.get("model.hidden").hashCode(), 8)));
            s.put("task.length", String.valueOf(10 + Math.floorMod(m.get("task.length").hashCode(), 20)));
            s.put("training.batch-size", String.valueOf(1 + Math.floorMod(m.get("training.batch-size").hashCode(), 4)));
            s.put("task.validation-sequences", "8");
            s.put("training.updates", "1");
            s.put("training.eval-every", "1");
            s.put("data.format", "generated");
            return s;
        });
    }

    static final Path BASE = base();

    /** The file every try validates, with every key given by --set. */
    private static Path base() {
        try {
            Path dir = Files.createTempDirectory("config-range");
            dir.toFile().deleteOnExit();
            Path f = Files.writeString(dir.resolve("range.conf"), "# every key comes from --set\n");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The {@code validate} command's checks of a run config, in process: null if accepted, else the bad-input
     * message (ConfigError or IllegalArgumentException, which the CLI prints in one line with exit 2). Any other
     * exception escapes and fails the property, as it would make the CLI exit 1 with a stack trace.
     */
    static String validate(Map<String, String> sets) {
        try {
            CarouselConfig c = ConfigLoader.load(BASE, sets);
            ConfigLoader.hash(c);
            if (c.data().isGenerated()) {
                RunSetup setup = RunSetup.of(c);
                MemoryCheck.require(BASE.toString(), setup);
                assertTrue(Double.isFinite(CostEstimate.flopsPerUpdate(setup)), "cost of " + sets);
            }
            return null;
        } catch (ConfigError | IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    @Property(tries = 10_000, seed = "20261205")
    void everyConfigIsAcceptedOrRefusedInOneLine(@ForAll("configs") Map<String, String> sets) {
        String error = validate(sets);
        if (error != null) {
            assertFalse(error.isBlank(), "empty message for " + sets);
            assertEquals(1, error.lines().count(), "one line expected for " + sets + ":\n" + error);
        }
        boolean sized = error != null && (error.contains("one array can index") || error.contains("needs at least"));
        Statistics.label("outcome").collect(error == null ? "accepted" : sized ? "refused: sizes" : "refused: a key");
        Statistics.label("outcome").coverage(c -> {
            c.check("accepted").percentage(p -> p >= 10);
            c.check("refused: sizes").percentage(p -> p >= 5);
        });
    }

    /** A sample through the real CLI: exit 0 with nothing on stderr, or exit 2 with one line and no exception. */
    @Property(tries = 300, seed = "20261206")
    void theCliValidatesOrRefusesInOneLine(@ForAll("configs") Map<String, String> sets) {
        List<String> args = new ArrayList<>(List.of("validate", BASE.toString()));
        sets.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
        CliRunner.Run run = CliRunner.cli(args.toArray(String[]::new));
        expectAcceptedOrOneLine(run, sets.toString());
        assertEquals(validate(sets) == null ? 0 : Main.BAD_INPUT, run.exit(), "CLI and in-process validation differ");
    }

    static void expectAcceptedOrOneLine(CliRunner.Run run, String what) {
        assertTrue(run.exit() == 0 || run.exit() == Main.BAD_INPUT, "exit " + run.exit() + " for " + what + ":\n" + run.err());
        if (run.exit() == 0) {
            assertEquals("", run.err(), what);
        } else {
            List<String> lines = run.err().lines().toList();
            assertEquals(1, lines.size(), "one line expected for " + what + ":\n" + run.err());
            assertTrue(lines.get(0).startsWith("carousel: "), lines.get(0));
            assertFalse(lines.get(0).matches(".*\\b(?:[a-z]\\w*\\.)+[A-Z]\\w*(?:Exception|Error)\\b.*"), lines.get(0));
        }
    }

    /**
     * Small accepted configs, every other key over its range, train one update to a result (diverged counts); of
     * 30 drawn, at least 5 are accepted and trained.
     */
    @Property(tries = 30, seed = "20261207")
    void smallAcceptedConfigsTrainOneUpdate(@ForAll("smallConfigs") Map<String, String> sets) {
        boolean accepted = validate(sets) == null;
        Statistics.label("trained").collect(accepted);
        Statistics.label("trained").coverage(c -> c.check(true).count(n -> n >= 5));
        if (accepted) {
            TrainResult result = LocalTrainer.train(ConfigLoader.load(BASE, sets), (point, total) -> true);
            assertTrue(result.updates() <= 1, "updates " + result.updates());
            Statistics.label("status").collect(result.status());
        }
    }

    // ---- sweep specs ---------------------------------------------------------------------------------------

    /** Keys a drawn spec uses as axes, with generators over their whole range. */
    static final List<String> AXES = List.of("model.hidden", "task.length", "training.batch-size", "model.cell",
            "optimizer.learning-rate", "model.forget-gate.mode", "model.forget-gate.bias", "model.rnn-gain", "seed");

    /**
     * A sweep spec: a small base section, 0–3 grid axes of 1–3 values (written as quoted paths or as nested
     * sections), 0–2 random axes (uniform, log-uniform or choice) with a count from 0 to 4, seeds and cells.
     */
    @Provide
    static Arbitrary<String> specs() {
        Arbitrary<String> axis = Arbitraries.of(AXES);
        Arbitrary<String> gridAxis = Combinators.combine(axis, Arbitraries.of(true, false),
                        axis.flatMap(a -> KEYS.get(a).list().ofMinSize(0).ofMaxSize(3)))
                .as((a, nested, values) -> nest(a, nested) + " = [" + String.join(", ", values) + "]");
        Arbitrary<String> grid = gridAxis.list().ofMaxSize(3)
                .map(l -> l.isEmpty() ? "" : "grid {\n  " + String.join("\n  ", l) + "\n}\n");
        Arbitrary<String> randomAxis = Combinators.combine(Arbitraries.of("optimizer.learning-rate", "model.rnn-gain",
                                "model.hidden", "model.forget-gate.bias"),
                        Arbitraries.of("uniform", "log-uniform", "choice"), KEYS.get("optimizer.learning-rate"),
                        KEYS.get("model.rnn-gain"))
                .as((a, d, lo, hi) -> "\"" + a + "\" = { distribution = " + d + (d.equals("choice")
                        ? ", values = [" + lo + ", " + hi + "] }" : ", min = " + lo + ", max = " + hi + " }"));
        Arbitrary<String> random = Combinators.combine(randomAxis.list().ofMaxSize(2), Arbitraries.integers().between(0, 4),
                        Arbitraries.longs())
                .as((axes, count, seed) -> axes.isEmpty() ? "" : "random {\n  count = " + count + "\n  seed = " + seed
                        + "\n  axes {\n    " + String.join("\n    ", axes) + "\n  }\n}\n");
        Arbitrary<String> seeds = Arbitraries.integers().between(0, 1000).list().ofMaxSize(3)
                .map(l -> l.isEmpty() ? "" : "seeds = " + l + "\n");
        Arbitrary<String> cells = Combinators.combine(KEYS.get("model.hidden"), KEYS.get("task.length"), Arbitraries.of(true, false))
                .as((h, t, some) -> some ? "cells = [\n  { model { hidden = " + h + " } }\n  { \"task.length\" = " + t + " }\n]\n" : "");
        return Combinators.combine(grid, random, seeds, cells)
                .as((g, r, s, c) -> "base {\n  training { batch-size = 4, updates = 10 }\n  model.hidden = 8\n"
                        + "  task.length = 20\n}\n" + g + r + s + c);
    }

    private static String nest(String path, boolean nested) {
        if (!nested) {
            return "\"" + path + "\"";
        }
        String[] parts = path.split("\\.");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
            b.append(parts[i]).append(" { ");
        }
        b.append(parts[parts.length - 1]);
        return b.toString(); // closed by the caller's "= [...]" followed by the braces below
    }

    @Property(tries = 200, seed = "20261208")
    void sweepSpecsValidateOrAreRefusedInOneLine(@ForAll("specs") String spec) throws IOException {
        String text = closeBraces(spec);
        Path file = Files.writeString(BASE.resolveSibling("spec.conf"), text);
        CliRunner.Run run = CliRunner.cli("validate", file.toString());
        expectAcceptedOrOneLine(run, "spec\n" + text);
        Statistics.label("sweep").collect(run.exit() == 0 ? "accepted" : "refused");
    }

    /** Closes the sections {@link #nest} opened on each grid line ("model { hidden = [..]" → "... }"). */
    static String closeBraces(String spec) {
        StringBuilder out = new StringBuilder();
        for (String line : spec.split("\n", -1)) {
            long open = line.chars().filter(ch -> ch == '{').count() - line.chars().filter(ch -> ch == '}').count();
            out.append(line).append(line.startsWith("  ") && !line.contains("\"") && open > 0 && line.contains("= [")
                    ? " }".repeat((int) open) : "").append('\n');
        }
        return out.toString();
    }

    /** The table above draws every key the loader knows, so a new key cannot go untested. */
    @Example
    void everyKeyHasAGenerator() {
        assertEquals(new TreeSet<>(ConfigLoader.keyPaths()), new TreeSet<>(KEYS.keySet()),
                "keys without a generator (or generators of no key)");
    }
}
