package dev.carousel.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.experiment.Results.CellResult;
import dev.carousel.experiment.Results.Eval;
import dev.carousel.experiment.Results.Stat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The measurements and decisions of {@link Expectations} on hand-made results: no Spark, no training. */
class ExpectationsTest {
    static CarouselConfig config(String hocon) {
        return ConfigLoader.parse("training.updates = 3000\n" + hocon, "test");
    }

    /** A cell whose held-out MSE sits at 0.17 and drops below 0.05 at {@code solvedAt} (never if negative). */
    static CellResult trained(String hocon, long seed, long solvedAt) {
        List<Eval> curve = new ArrayList<>();
        for (long u = 0; u <= 3000; u += 100) {
            curve.add(new Eval(u, solvedAt >= 0 && u >= solvedAt ? 0.01 : 0.17, 1.0));
        }
        return new CellResult(hocon + seed, config(hocon + "\nseed = " + seed), "completed", 3000, curve, List.of());
    }

    @Test
    void logRatioIsTheDifferenceOfPerStepMeansOfLog10Norms() {
        List<Stat> stats = List.of(new Stat(0, 9, 0, "dc", -1.0, 0), new Stat(0, 4, 5, "dc", -3.5, 0),
                new Stat(100, 4, 5, "dc", 7, 0));
        CellResult c = new CellResult("c", config(""), "completed", 0, List.of(), stats);
        assertEquals(-2.5, c.logRatioAtInit("dc", 5), 1e-15);
        assertEquals(5, c.maxLag());
        assertTrue(Double.isNaN(c.logRatioAtInit("dh", 5)));
    }

    @Test
    void updatesToThresholdAndMedians() {
        CellResult solved = trained("", 1, 1200);
        CellResult never = trained("", 2, -1);
        assertEquals(1200, solved.updatesTo(0.05));
        assertEquals(Double.POSITIVE_INFINITY, never.updatesTo(0.05));
        assertEquals(0.17, solved.bestUntil(1100), 0);
        assertEquals(2.0, Results.median(List.of(3.0, 1.0, 2.0)), 0);
        assertEquals(Double.POSITIVE_INFINITY, Results.median(List.of(1.0, Double.POSITIVE_INFINITY)));
    }

    @Test
    void forgetBiasOrderingAndChecks() {
        String b0 = "model.forget-gate { mode = learned, bias = 0 }";
        String b1 = "model.forget-gate { mode = learned, bias = 1 }";
        String ch = "model.forget-gate { mode = chrono }";
        String rnn = "model.cell = rnn";
        Results r = new Results(List.of(trained(b0, 1, 2500), trained(b1, 1, 2900), trained(ch, 1, 1200),
                trained(rnn, 1, -1)));
        assertEquals(List.of("chrono", "bias 0", "bias 1", "tanh-RNN"), Expectations.ordering(r));
        List<Check> fast = Expectations.check("forget-bias-adding", true, r);
        assertEquals(2, fast.size());
        assertTrue(fast.stream().allMatch(Check::pass), fast.toString());
        // Full expectations: bias 1 must beat bias 0, which it does not here.
        List<Check> full = Expectations.check("forget-bias-adding", false, r);
        assertTrue(full.get(0).pass(), full.get(0).line());
        assertFalse(full.get(1).pass(), full.get(1).line());
        assertTrue(full.get(1).line().startsWith("FAIL  bias 1 is next"));
        assertTrue(full.get(2).pass(), "bias 0 and the RNN are at 0.17 when chrono reaches 0.05: " + full.get(2).line());
    }

    /** A cell whose probes.set left out a probe the expectations read fails a check that names it, before the rest. */
    @Test
    void aCellWithoutTheProbesReadIsNamed() {
        List<Stat> withSplit = List.of(new Stat(0, 0, 1, "dc_share", 0.9, 0.9), new Stat(0, 0, 1, "dc_agreement", 0.9, 0.9),
                new Stat(0, 0, 1, "dc_cosine", 0.5, 0.5), new Stat(0, 0, 1, "dc_via_f", -3, -3));
        CellResult full = new CellResult("full", config("probes.set = all"), "completed", 0, List.of(), withSplit);
        CellResult bare = new CellResult("bare", config(""), "completed", 0, List.of(),
                List.of(new Stat(0, 0, 1, "dh", -1, -1)));
        Check ok = Expectations.probesRecorded(Expectations.PROBES_READ.get("carousel-share"), new Results(List.of(full)));
        assertTrue(ok.pass(), ok.line());
        List<Check> checks = Expectations.check("carousel-share", false, new Results(List.of(full, bare)));
        assertFalse(checks.get(0).pass());
        assertEquals("FAIL  every cell records the probes these expectations read (dc_via_f, dc_share, dc_agreement, "
                + "dc_cosine) — cell bare lacks dc_via_f, dc_share, dc_agreement, dc_cosine (its probes.set: dh dc "
                + "forget path_gain)", checks.get(0).line());
    }
}
