package dev.carousel.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.CellType;
import dev.carousel.nn.ForgetGate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepSpecTest {
    static final String BASE = "base { task { length = 12, validation-sequences = 10 }, model.hidden = 4, "
            + "training { batch-size = 2, updates = 10 } }\n";

    static SweepSpec spec(String text) {
        return SweepSpec.parse(BASE + text, "spec.conf");
    }

    static List<Object> column(SweepSpec s, String key) {
        return s.cells().stream().map(c -> c.axes().get(key)).toList();
    }

    @Test
    void gridIsTheFullProductInDefaultsKeyOrderFirstAxisSlowest() {
        // Written in the "wrong" order: the columns and the product follow carousel-defaults.conf.
        SweepSpec s = spec("grid { \"model.hidden\" = [4, 8, 16]\n task { length = [12, 20] } }");
        assertEquals(List.of("task.length", "model.hidden"), s.columns());
        assertEquals(6, s.cells().size());
        assertEquals(6, s.combinations());
        assertEquals(List.of(12, 12, 12, 20, 20, 20), column(s, "task.length"));
        assertEquals(List.of(4, 8, 16, 4, 8, 16), column(s, "model.hidden"));
        Cell first = s.cells().get(0);
        assertEquals(ConfigLoader.hash(first.config()), first.id());
        assertEquals(10, first.config().training().updates(), "base keys apply to every cell");
        assertEquals(s.cells(), spec("grid { task.length = [12, 20], model { hidden = [4, 8, 16] } }").cells(),
                "quoted, dotted and nested axis keys mean the same; order does not depend on how they are written");
    }

    @Test
    void seedsReplicateEveryCellSeedFastest() {
        SweepSpec s = spec("grid { \"model.hidden\" = [4, 8] }\nseeds = [1, 2, 3]");
        assertEquals(List.of("model.hidden", "seed"), s.columns());
        assertEquals(6, s.cells().size());
        assertEquals(List.of(1L, 2L, 3L, 1L, 2L, 3L), s.cells().stream().map(c -> c.config().seed()).toList());
        assertEquals(List.of(4, 4, 4, 8, 8, 8), column(s, "model.hidden"));
        assertEquals(Map.of("model.hidden", 4, "seed", 1L), s.cells().get(0).axes());
        assertEquals(6, s.cells().stream().map(Cell::id).distinct().count());
    }

    @Test
    void withNoAxesTheSweepIsTheBaseAlone() {
        SweepSpec s = spec("");
        assertEquals(1, s.cells().size());
        assertEquals(ConfigLoader.parse("task { length = 12, validation-sequences = 10 }, model.hidden = 4, "
                + "training { batch-size = 2, updates = 10 }", "x"), s.cells().get(0).config());
    }

    @Test
    void randomAxesAreDeterministicGivenTheSeedAndWithinBounds() {
        String random = "random { count = 40, seed = 7, axes {\n"
                + " \"optimizer.learning-rate\" = { distribution = log-uniform, min = 1e-4, max = 1e-2 }\n"
                + " \"optimizer.clip-norm\" = { distribution = uniform, min = 0.5, max = 2 }\n"
                + " \"model.hidden\" = { distribution = choice, values = [32, 64] }\n"
                + " \"training.batch-size\" = { distribution = uniform, min = 2, max = 9 } } }";
        SweepSpec a = spec(random);
        SweepSpec b = spec(random);
        assertEquals(40, a.cells().size());
        assertEquals(a.cells(), b.cells(), "same spec, same draws");
        Set<Integer> hidden = new HashSet<>();
        double lrMin = 1, lrMax = 0;
        for (Cell c : a.cells()) {
            CarouselConfig cfg = c.config();
            double lr = cfg.optimizer().learningRate();
            assertTrue(lr >= 1e-4 && lr <= 1e-2, "log-uniform in bounds: " + lr);
            lrMin = Math.min(lrMin, lr);
            lrMax = Math.max(lrMax, lr);
            double clip = cfg.optimizer().clipNorm();
            assertTrue(clip >= 0.5 && clip <= 2, "uniform in bounds: " + clip);
            int batch = cfg.training().batchSize();
            assertTrue(batch >= 2 && batch <= 9, "integer key rounded, in bounds: " + batch);
            hidden.add(cfg.model().hidden());
        }
        assertEquals(Set.of(32, 64), hidden, "choice draws from its values");
        assertTrue(lrMin < 1e-3 && lrMax > 1e-3, "log-uniform spreads over decades: " + lrMin + ".." + lrMax);

        SweepSpec other = spec(random.replace("seed = 7", "seed = 8"));
        assertNotEquals(a.cells().get(0).id(), other.cells().get(0).id(), "another seed, other draws");

        // Draw i of an axis depends only on (seed, axis, i): more points keep the first ones.
        SweepSpec more = spec(random.replace("count = 40", "count = 50"));
        assertEquals(a.cells(), more.cells().subList(0, 40));
    }

    @Test
    void randomPointsAreSharedByEveryVariantAndCrossedWithSeeds() {
        SweepSpec s = spec("grid { \"model.cell\" = [lstm, rnn] }\nseeds = [1, 2]\n"
                + "random { count = 3, seed = 1, axes { \"optimizer.learning-rate\" = "
                + "{ distribution = uniform, min = 0.001, max = 0.01 } } }");
        assertEquals(2 * 3 * 2, s.cells().size());
        List<Object> lr = column(s, "optimizer.learning-rate");
        assertEquals(lr.subList(0, 6), lr.subList(6, 12), "the same points for lstm and rnn");
        assertEquals(lr.get(0), lr.get(1), "seeds vary fastest");
        assertEquals(List.of("model.cell", "optimizer.learning-rate", "seed"), s.columns());
    }

    @Test
    void explicitCellsFollowTheGridAndAreNotCrossedWithIt() {
        SweepSpec s = spec("grid { \"model.hidden\" = [4, 8] }\nseeds = [1, 2]\n"
                + "cells = [ { \"model.forget-gate.mode\" = chrono },"
                + " { model.forget-gate { mode = fixed, value = 0.5 } } ]");
        assertEquals((2 + 2) * 2, s.cells().size());
        List<Cell> explicit = s.cells().subList(4, 8);
        assertEquals(List.of("chrono", "chrono", "fixed", "fixed"),
                explicit.stream().map(c -> c.config().model().forgetGate().mode()).toList());
        assertEquals(new ForgetGate.Fixed(0.5), explicit.get(2).config().model().forgetGate());
        assertTrue(explicit.stream().allMatch(c -> c.config().model().hidden() == 4), "hidden from the base");
        assertEquals(List.of("model.hidden", "model.forget-gate.mode", "model.forget-gate.value", "seed"), s.columns());
        assertEquals(Map.of("model.hidden", 4, "model.forget-gate.mode", "fixed", "model.forget-gate.value", 0.5,
                "seed", 2L), explicit.get(3).axes());
        assertFalse(explicit.get(0).axes().containsKey("model.forget-gate.value"), "chrono ignores value");

        SweepSpec onlyCells = spec("cells = [ { model.hidden = 5 }, { model.hidden = 6 } ]");
        assertEquals(List.of(5, 6), column(onlyCells, "model.hidden"), "no grid: the explicit cells only");
    }

    @Test
    void rnnCellsAreNotMultipliedByForgetGateValues() {
        SweepSpec s = spec("grid { \"model.cell\" = [lstm, rnn]\n \"model.forget-gate.bias\" = [-2, 0, 2]\n"
                + " \"model.forget-gate.mode\" = [learned, chrono] }");
        assertEquals(12, s.combinations());
        // LSTM: 3 learned biases + chrono (its bias is ignored); RNN: one cell.
        assertEquals(5, s.cells().size());
        List<Cell> rnn = s.cells().stream().filter(c -> c.config().model().cell() == CellType.RNN).toList();
        assertEquals(1, rnn.size());
        assertEquals(Map.of("model.cell", "rnn"), rnn.get(0).axes(), "an RNN shows no forget-gate axes");
        CarouselConfig plainRnn = ConfigLoader.parse("task { length = 12, validation-sequences = 10 }, "
                + "model { hidden = 4, cell = rnn }, training { batch-size = 2, updates = 10 }", "x");
        assertEquals(ConfigLoader.hash(plainRnn), rnn.get(0).id(), "an RNN cell has the default forget-gate keys");
        Cell chrono = s.cells().stream().filter(c -> c.config().model().forgetGate() instanceof ForgetGate.Chrono)
                .findFirst().orElseThrow();
        assertEquals(Map.of("model.cell", "lstm", "model.forget-gate.mode", "chrono"), chrono.axes());
        assertEquals(s.cells().size(), s.cells().stream().map(Cell::id).distinct().count());
    }

    @Test
    void addingAnAxisValueAddsOnlyNewCellsAndKeepsOldIds() {
        SweepSpec small = spec("grid { \"model.hidden\" = [4, 8], \"model.forget-gate.bias\" = [0, 1] }\nseeds = [1]");
        SweepSpec big = spec("grid { \"model.hidden\" = [4, 8, 16], \"model.forget-gate.bias\" = [0, 1, 2] }\n"
                + "seeds = [1, 2]");
        Set<String> smallIds = small.cells().stream().map(Cell::id).collect(Collectors.toSet());
        Set<String> bigIds = big.cells().stream().map(Cell::id).collect(Collectors.toSet());
        assertTrue(bigIds.containsAll(smallIds));
        assertEquals(18 - 4, bigIds.size() - smallIds.size());
        for (Cell c : small.cells()) {
            Cell same = big.cells().stream().filter(b -> b.id().equals(c.id())).findFirst().orElseThrow();
            assertEquals(c, same);
        }
    }

    @Test
    void costIsTwentyFourBHIHTPerUpdateForLstmAndAQuarterForRnn() {
        SweepSpec s = spec("grid { \"model.cell\" = [lstm, rnn] }");
        // adding: I = 2; B = 2, H = 4, T = 12, 10 updates.
        double lstm = 24.0 * 2 * 4 * (2 + 4) * 12 * 10;
        assertEquals(lstm, s.cells().get(0).estimatedFlops(), 1e-9);
        assertEquals(lstm / 4, s.cells().get(1).estimatedFlops(), 1e-9);
        assertEquals(lstm * 1.25, s.estimatedFlops(), 1e-9);
    }

    @Test
    void baseMayBeAFileRelativeToTheSpec(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("sweeps"));
        Files.writeString(dir.resolve("run.conf"), "model.hidden = 6\ntask.length = 15\n");
        Path specFile = dir.resolve("sweeps/s.conf");
        Files.writeString(specFile, "base = \"../run.conf\"\nseeds = [4, 5]\n");
        SweepSpec s = SweepSpec.load(specFile);
        assertEquals(2, s.cells().size());
        assertEquals(6, s.cells().get(0).config().model().hidden());
        assertEquals(15, s.cells().get(0).config().task().length());
    }

    // ---- errors ----------------------------------------------------------------------------------------------

    static String error(String text) {
        ConfigError e = assertThrows(ConfigError.class, () -> spec(text));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("spec.conf:"), "file:line first: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void unknownTopLevelKey() {
        String m = error("grids { \"model.hidden\" = [4] }");
        assertTrue(m.startsWith("spec.conf:2: grids: unknown key"), m);
    }

    @Test
    void emptyGridAxis() {
        String m = error("grid { \"model.hidden\" = [] }");
        assertTrue(m.contains("grid.model.hidden") && m.contains("empty axis"), m);
    }

    @Test
    void duplicateAxes() {
        String both = error("grid { \"model.hidden\" = [4] }\nrandom { count = 2, axes { \"model.hidden\" = "
                + "{ distribution = choice, values = [4, 8] } } }");
        assertTrue(both.contains("model.hidden") && both.contains("duplicate axis"), both);
        String twice = error("grid { \"model.hidden\" = [4]\n model { hidden = [8] } }");
        assertTrue(twice.contains("model.hidden") && twice.contains("duplicate axis"), twice);
        String seed = error("grid { seed = [1, 2] }\nseeds = [3]");
        assertTrue(seed.contains("grid.seed") && seed.contains("duplicate axis"), seed);
        String cell = error("random { count = 2, axes { \"model.hidden\" = { distribution = choice, values = [4] } } }\n"
                + "cells = [ { model.hidden = 8 } ]");
        assertTrue(cell.contains("cells[0].model.hidden") && cell.contains("duplicate axis"), cell);
    }

    @Test
    void axisThatIsNotARunConfigKey() {
        String m = error("grid { \"model.hiden\" = [4, 8] }");
        assertTrue(m.contains("grid.model.hiden") && m.contains("not a run-config key")
                && m.contains("did you mean model.hidden?"), m);
        String r = error("random { count = 1, axes { \"optimizer.lr\" = { distribution = uniform, min = 0, max = 1 } } }");
        assertTrue(r.contains("random.axes.optimizer.lr") && r.contains("not a run-config key"), r);
        String c = error("cells = [ { model.forget-gate.bais = 1 } ]");
        assertTrue(c.contains("cells[0].model.forget-gate.bais") && c.contains("did you mean model.forget-gate.bias?"), c);
    }

    @Test
    void badDistributionParameters() {
        String axis = "random { count = 2, axes { \"optimizer.learning-rate\" = { %s } } }";
        String inverted = error(axis.formatted("distribution = uniform, min = 1, max = 0.5"));
        assertTrue(inverted.contains("random.axes.optimizer.learning-rate") && inverted.contains("min < max"), inverted);
        String logZero = error(axis.formatted("distribution = log-uniform, min = 0, max = 0.5"));
        assertTrue(logZero.contains("random.axes.optimizer.learning-rate.min") && logZero.contains("0 < min"), logZero);
        String missing = error(axis.formatted("distribution = uniform, min = 0.1"));
        assertTrue(missing.contains("random.axes.optimizer.learning-rate.max: missing"), missing);
        String unknown = error(axis.formatted("distribution = normal, mean = 1"));
        assertTrue(unknown.contains("optimizer.learning-rate.distribution") && unknown.contains("unknown distribution"),
                unknown);
        String extra = error(axis.formatted("distribution = choice, values = [0.1], min = 0"));
        assertTrue(extra.contains("random.axes.optimizer.learning-rate.min: unknown parameter"), extra);
        String emptyChoice = error(axis.formatted("distribution = choice, values = []"));
        assertTrue(emptyChoice.contains("learning-rate.values"), emptyChoice);
        String nonNumeric = error("random { count = 2, axes { \"model.cell\" = { distribution = uniform, min = 0, "
                + "max = 1 } } }");
        assertTrue(nonNumeric.contains("model.cell is not numeric"), nonNumeric);
        String count = error("random { count = 0, axes { \"optimizer.learning-rate\" = { distribution = uniform, "
                + "min = 0.1, max = 0.2 } } }");
        assertTrue(count.contains("random.count = 0"), count);
    }

    @Test
    void missingBaseFile(@TempDir Path dir) throws IOException {
        Path specFile = dir.resolve("s.conf");
        Files.writeString(specFile, "# a comment\nbase = \"nope.conf\"\nseeds = [1]\n");
        ConfigError e = assertThrows(ConfigError.class, () -> SweepSpec.load(specFile));
        assertTrue(e.getMessage().startsWith(specFile + ":2: base = \"nope.conf\": base file"), e.getMessage());
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void aCellFailingValidationIsNamedByItsAxisValues() {
        String m = error("grid { \"model.hidden\" = [4, 0]\n \"task.length\" = [12] }\nseeds = [1]");
        assertTrue(m.startsWith("spec.conf:2: cell {task.length=12, model.hidden=0, seed=1}: "), m);
        assertTrue(m.contains("model.hidden = 0: out of range"), m);
        String base = error("grid { \"task.name\" = [adding, temporal-order], \"task.length\" = [5] }");
        assertTrue(base.contains("cell {task.name=temporal-order, task.length=5}") && base.contains("too short"), base);
    }

    // ---- the default sweep -----------------------------------------------------------------------------------

    @Test
    void defaultSpecLoadsWithTheExpectedCells() {
        SweepSpec s = SweepSpec.load(Path.of("conf/sweeps/forget-gate.conf"));
        assertEquals((4 * 6 * 3 + 3) * 3, s.combinations());
        // Per length: 6 learned biases + chrono + fixed + none (LSTM) + 1 RNN = 10; x 3 lengths x 3 seeds.
        assertEquals(90, s.cells().size());
        assertEquals(List.of("task.length", "model.cell", "model.forget-gate.mode", "model.forget-gate.bias",
                "model.rnn-gain", "model.recurrent-init", "seed"), s.columns());
        assertEquals(9, s.cells().stream().filter(c -> c.config().model().cell() == CellType.RNN)
                .filter(c -> c.config().model().rnnGain() == 0.9).count(), "the tanh-RNN at gain 0.9, 3 lengths x 3 seeds");
        assertTrue(s.cells().stream().filter(c -> c.config().model().cell() == CellType.LSTM)
                .allMatch(c -> c.config().model().rnnGain() == 1.0));
        assertTrue(s.cells().stream().allMatch(c -> c.config().model().hidden() == 32));
        assertTrue(s.cells().stream().anyMatch(c -> c.config().model().forgetGate().equals(new ForgetGate.Fixed(1.0))));
        assertEquals(12, SweepSpec.load(Path.of("conf/sweeps/forget-gate.conf"), true).cells().size(), "the fast version");
        double gflop = s.estimatedFlops() / 1e9;
        assertTrue(gflop > 1000 && gflop < 20000, "a sweep of minutes: " + gflop + " GFLOP");
        assertEquals(s.cells(), SweepSpec.load(Path.of("conf/sweeps/forget-gate.conf")).cells(), "deterministic");
    }

    // ---- fast versions (conf/experiments) ---------------------------------------------------------------------

    @Test
    void fastSectionIsLaidOverTheSpecAndIgnoredOtherwise(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("exp.conf");
        Files.writeString(file, BASE + "grid { model.hidden = [4, 8] }\nseeds = [1, 2, 3]\n"
                + "fast { base.training.updates = 2, seeds = [1] }\n");
        SweepSpec full = SweepSpec.load(file);
        SweepSpec fast = SweepSpec.load(file, true);
        assertEquals("exp", full.name());
        assertEquals("exp-fast", fast.name());
        assertEquals(6, full.cells().size());
        assertEquals(2, fast.cells().size(), "seeds replaced, grid kept");
        assertEquals(List.of(10, 10), full.cells().stream().limit(2).map(c -> c.config().training().updates()).toList());
        for (Cell c : fast.cells()) {
            assertEquals(2, c.config().training().updates(), "base merged key by key");
            assertEquals(12, c.config().task().length(), "the rest of base kept");
        }
        SweepSpec twoPartitions = SweepSpec.load(file, true, Map.of("distributed.partitions", "2"));
        assertTrue(twoPartitions.cells().stream().allMatch(c -> c.config().distributed().partitions() == 2));
        assertThrows(ConfigError.class, () -> SweepSpec.load(file, false, Map.of("distributed.partitons", "2")));
    }

    @Test
    void fastSectionIsValidatedWithTheSpec() {
        assertTrue(error("fast { name = x }").contains("fast.name"));
        assertTrue(error("fast { grids = {} }").contains("fast.grids"));
        assertTrue(error("fast = 3").contains("fast"));
        assertTrue(error("fast { base.model.hidden = -1 }").contains("model.hidden"), "the fast cells are validated too");
    }
}
