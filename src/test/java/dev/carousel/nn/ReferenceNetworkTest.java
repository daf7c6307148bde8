package dev.carousel.nn;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import dev.carousel.nn.ReferenceNetwork.Layout;
import dev.carousel.nn.ReferenceNetwork.Perturbation;
import dev.carousel.nn.ReferenceNetwork.Result;
import dev.carousel.nn.ReferenceNetwork.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Self-test of {@link ReferenceNetwork}: finite differences against every gradient it reports, plus the
 * closed forms of the carousel (docs/science.md).
 *
 * <p>Finite differences are central, (f(x+ε) − f(x−ε)) / 2ε, with ε = 1e-6. Their error is the truncation
 * term ε²·|f'''|/6 ≈ 1e-13 plus the rounding term ≈ k·u·|f|/ε (u = 1.1e-16 the double unit roundoff,
 * |f| = O(1) the loss, k a small count of accumulated roundings) ≈ 1e-10. ε = 1e-6 sits just below the
 * optimum (3u)^{1/3} ≈ 7e-6 of the two terms, so truncation is negligible and the quotient is accurate
 * to ~2e-10 absolute (the largest deviation measured over all cases here).
 *
 * <p>Error measure: |a − b| / max(|a|, |b|, {@value #FD_FLOOR}) ≤ 1e-6. The floor is 1e-3, not 1e-8:
 * with weights ~ U(−0.5, 0.5) some gradient components are as small as ~4e-8 (early steps, lag 4), and
 * no double-precision difference quotient of an O(1) loss resolves those to 1e-6 relative (that would
 * need ~4e-14 absolute, below the ~1e-10 rounding noise at any ε). So components ≥ 1e-3 are held to
 * 1e-6 relative and smaller ones to 1e-9 absolute (5× the measured noise). The strict measure with floor
 * 1e-8 is printed too, for information. Components that are exactly 0 (f-gate parameters of fixed/none,
 * states after the last loss step) leave the loss bit-identical, so their quotient is exactly 0.
 */
class ReferenceNetworkTest {

    private static final int B = 2, T = 5, I = 3, H = 4, O = 2;
    private static final double EPS = 1e-6;
    private static final double FD_TOLERANCE = 1e-6;
    /** Floor of the denominator of the asserted relative error (see the class comment). */
    static final double FD_FLOOR = 1e-3;
    /** Floor of the strict, printed-only relative error. */
    static final double STRICT_FLOOR = 1e-8;

    /** Max FD errors per case, printed after all tests. */
    private static final Map<String, String> SUMMARY = new TreeMap<>();

    // --------------------------------------------------------------------------------------------
    // Fixtures
    // --------------------------------------------------------------------------------------------

    /** θ with every element ~ U(−0.5, 0.5). */
    static double[] randomTheta(long seed, int count) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] theta = new double[count];   // [count]
        for (int q = 0; q < count; q++) {
            theta[q] = rnd.nextDouble(-0.5, 0.5);
        }
        return theta;
    }

    /** Inputs ~ U(−1, 1); MSE targets ~ U(−1, 1); cross-entropy targets one-hot at every (t, b). */
    static SequenceBatch randomBatch(long seed, int steps, int batch, int in, int out, Supervision sup) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] inputs = new double[steps * batch * in];      // [T, B, I]
        double[] targets = new double[steps * batch * out];   // [T, B, O]
        for (int q = 0; q < inputs.length; q++) {
            inputs[q] = rnd.nextDouble(-1.0, 1.0);
        }
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                int row = (t * batch + b) * out;
                if (sup.kind() == LossKind.MSE) {
                    for (int o = 0; o < out; o++) {
                        targets[row + o] = rnd.nextDouble(-1.0, 1.0);
                    }
                } else {
                    targets[row + rnd.nextInt(out)] = 1.0;
                }
            }
        }
        return new SequenceBatch(steps, batch, in, out, inputs, targets, sup);
    }

    static Supervision supervision(String where, LossKind kind, int steps) {
        return switch (where) {
            case "last" -> Supervision.lastStep(kind, steps);
            case "every" -> Supervision.everyStep(kind, steps);
            case "mask{1,3}" -> new Supervision(kind, new int[] {1, 3});
            default -> throw new IllegalArgumentException(where);
        };
    }

    /** |a − b| / max(|a|, |b|, floor). */
    static double relErr(double a, double b, double floor) {
        return Math.abs(a - b) / Math.max(Math.max(Math.abs(a), Math.abs(b)), floor);
    }

    /** Max errors of one group of components: asserted (floor 1e-3) and strict (floor 1e-8). */
    static final class MaxErr {
        double asserted;
        double strict;

        void add(double fd, double analytic, String what) {
            double e = relErr(fd, analytic, FD_FLOOR);
            asserted = Math.max(asserted, e);
            strict = Math.max(strict, relErr(fd, analytic, STRICT_FLOOR));
            assertTrue(e <= FD_TOLERANCE, what + ": analytic " + analytic + " vs FD " + fd + ", rel " + e);
        }

        @Override
        public String toString() {
            return String.format("%.1e (strict %.1e)", asserted, strict);
        }
    }

    record Cell(String label, CellType type, ForgetGate gate) {
        @Override
        public String toString() {
            return label;
        }
    }

    static List<Cell> cells() {
        return List.of(
                new Cell("lstm-learned(1.0)", CellType.LSTM, new ForgetGate.Learned(1.0)),
                new Cell("lstm-chrono(5)", CellType.LSTM, new ForgetGate.Chrono(5)),
                new Cell("lstm-uniform", CellType.LSTM, new ForgetGate.Uniform()),
                new Cell("lstm-fixed(0.7)", CellType.LSTM, new ForgetGate.Fixed(0.7)),
                new Cell("lstm-none", CellType.LSTM, new ForgetGate.None()),
                new Cell("rnn", CellType.RNN, null));
    }

    static Stream<Arguments> fdCases() {
        List<Arguments> out = new ArrayList<>();
        for (Cell cell : cells()) {
            for (LossKind kind : LossKind.values()) {
                for (String where : List.of("last", "every", "mask{1,3}")) {
                    out.add(Arguments.of(cell, kind, where));
                }
            }
        }
        return out.stream();
    }

    static long seedOf(Object... parts) {
        return List.of(parts).toString().hashCode() * 0x9E3779B97F4A7C15L;
    }

    @AfterAll
    static void printSummary() {
        System.out.println("ReferenceNetworkTest: max FD relative errors (ε = " + EPS + "), asserted measure "
                + "|a-b|/max(|a|,|b|," + FD_FLOOR + ") <= " + FD_TOLERANCE + "; strict = floor " + STRICT_FLOOR);
        SUMMARY.forEach((k, v) -> System.out.println("  " + k + "  " + v));
    }

    // --------------------------------------------------------------------------------------------
    // Finite differences: every parameter gradient, every dh, dc and dz component
    // --------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("fdCases")
    void finiteDifferences(Cell cell, LossKind kind, String where) {
        Supervision sup = supervision(where, kind, T);
        int count = ReferenceNetwork.parameterCount(cell.type(), I, H, O);
        double[] theta = randomTheta(seedOf(cell, kind, where, "theta"), count);
        SequenceBatch batch = randomBatch(seedOf(cell, kind, where, "batch"), T, B, I, O, sup);
        Result r = ReferenceNetwork.run(cell.type(), cell.gate(), H, theta, batch);
        boolean lstm = cell.type() == CellType.LSTM;
        int g = lstm ? 4 * H : H;

        // parameters: ∂L/∂θ
        MaxErr maxGrad = new MaxErr();
        for (int q = 0; q < count; q++) {
            double[] plus = theta.clone();
            double[] minus = theta.clone();
            plus[q] += EPS;
            minus[q] -= EPS;
            double fd = (ReferenceNetwork.loss(cell.type(), cell.gate(), H, plus, batch, null)
                    - ReferenceNetwork.loss(cell.type(), cell.gate(), H, minus, batch, null)) / (2 * EPS);
            maxGrad.add(fd, r.grad()[q], "grad[" + q + "]");
        }

        // states: ∂ℓ_b/∂h_t, ∂ℓ_b/∂c_t, ∂ℓ_b/∂z_t
        MaxErr maxDh = stateErrors(cell, theta, batch, Target.H, H, r.dh());
        MaxErr maxDc = lstm ? stateErrors(cell, theta, batch, Target.C, H, r.dc()) : null;
        MaxErr maxDz = stateErrors(cell, theta, batch, Target.Z, g, r.dz());

        String line = String.format("grad %s  dh %s  dc %-22s  dz %s", maxGrad, maxDh,
                lstm ? maxDc.toString() : "n/a", maxDz);
        synchronized (SUMMARY) {
            SUMMARY.put(String.format("%-18s %-13s %-9s", cell, kind, where), line);
        }
    }

    /** Max relative error of an analytic [T][B][width] derivative against FD of the per-sequence loss ℓ_b. */
    private static MaxErr stateErrors(Cell cell, double[] theta, SequenceBatch batch, Target target, int width,
                                      double[][][] analytic) {
        MaxErr max = new MaxErr();
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < B; b++) {
                for (int u = 0; u < width; u++) {
                    double[] lp = ReferenceNetwork.sequenceLosses(cell.type(), cell.gate(), H, theta, batch,
                            new Perturbation(target, t, b, u, EPS));
                    double[] lm = ReferenceNetwork.sequenceLosses(cell.type(), cell.gate(), H, theta, batch,
                            new Perturbation(target, t, b, u, -EPS));
                    double fd = (lp[b] - lm[b]) / (2 * EPS);
                    max.add(fd, analytic[t][b][u], "d" + target + "[t=" + t + "][b=" + b + "][" + u + "]");
                    // the perturbation of sequence b must not move any other sequence's loss
                    for (int other = 0; other < B; other++) {
                        if (other != b) {
                            assertEquals(lp[other], lm[other], 0.0, "sequence " + other + " moved");
                        }
                    }
                }
            }
        }
        return max;
    }

    // --------------------------------------------------------------------------------------------
    // Fixed / None: the f gate is constant and its parameters get exactly zero gradient
    // --------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("constantForgetCases")
    void constantForgetGateHasExactlyZeroGradient(ForgetGate gate, LossKind kind) {
        Supervision sup = Supervision.everyStep(kind, T);
        Layout lay = ReferenceNetwork.layout(CellType.LSTM, I, H, O);
        double[] theta = randomTheta(seedOf(gate, kind, "zero-f"), lay.count());
        SequenceBatch batch = randomBatch(seedOf(gate, kind, "zero-f-batch"), T, B, I, O, sup);
        Result r = ReferenceNetwork.run(CellType.LSTM, gate, H, theta, batch);
        double phi = gate instanceof ForgetGate.Fixed f ? f.value() : 1.0;

        int fParams = 0;
        for (int q = 0; q < lay.count(); q++) {
            if (lay.isForgetGateParameter(q)) {
                fParams++;
                assertEquals(0.0, r.grad()[q], 0.0, "f-gate parameter " + q);
            }
        }
        assertEquals((I + H + 1) * H, fParams);
        for (int i = 0; i < I; i++) {
            for (int u = H; u < 2 * H; u++) {
                assertEquals(0.0, r.grad()[lay.wx(i, u)], 0.0);
            }
        }
        for (int k = 0; k < H; k++) {
            for (int u = H; u < 2 * H; u++) {
                assertEquals(0.0, r.grad()[lay.wh(k, u)], 0.0);
            }
        }
        for (int u = H; u < 2 * H; u++) {
            assertEquals(0.0, r.grad()[lay.bias(u)], 0.0);
        }
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < B; b++) {
                for (int u = 0; u < H; u++) {
                    assertEquals(phi, r.gates()[t][b][H + u], 0.0, "f block holds φ");
                    assertEquals(0.0, r.dz()[t][b][H + u], 0.0, "δf");
                }
            }
        }
        // and the other gates' parameters do learn
        double other = 0.0;
        for (int q = 0; q < lay.count(); q++) {
            if (!lay.isForgetGateParameter(q)) {
                other += Math.abs(r.grad()[q]);
            }
        }
        assertTrue(other > 0.0);
    }

    static Stream<Arguments> constantForgetCases() {
        List<Arguments> out = new ArrayList<>();
        for (ForgetGate gate : List.of(new ForgetGate.Fixed(0.7), new ForgetGate.None())) {
            for (LossKind kind : LossKind.values()) {
                out.add(Arguments.of(gate, kind));
            }
        }
        return out.stream();
    }

    // --------------------------------------------------------------------------------------------
    // The carousel in closed form
    // --------------------------------------------------------------------------------------------

    /**
     * With W_h = 0 and W_x[:, H:2H] = 0, f_t = σ(b_f) at every step, and with the loss at T−1 only no
     * gradient reaches h_k (k &lt; T−1): δc_k = δc_{T−1} · σ(b_f)^{T−1−k}.
     */
    @ParameterizedTest(name = "learned({0})")
    @ValueSource(doubles = {1.0, -0.5, 3.0})
    void carouselDecayWithoutRecurrence(double bf) {
        int steps = 12;
        for (LossKind kind : LossKind.values()) {
            Supervision sup = Supervision.lastStep(kind, steps);
            Layout lay = ReferenceNetwork.layout(CellType.LSTM, I, H, O);
            double[] theta = carouselTheta(lay, seedOf(bf, kind, "carousel"), bf);
            SequenceBatch batch = randomBatch(seedOf(bf, kind, "carousel-batch"), steps, B, I, O, sup);
            Result r = ReferenceNetwork.run(CellType.LSTM, new ForgetGate.Learned(bf), H, theta, batch);
            double sigma = 1.0 / (1.0 + Math.exp(-bf));
            double max = 0.0;
            for (int b = 0; b < B; b++) {
                for (int k = 0; k < steps; k++) {
                    for (int u = 0; u < H; u++) {
                        double expected = r.dc()[steps - 1][b][u] * Math.pow(sigma, steps - 1 - k);
                        double e = Math.abs(r.dc()[k][b][u] - expected) / Math.max(Math.abs(expected), 1e-300);
                        max = Math.max(max, e);
                        assertTrue(e <= 1e-10, "dc[" + k + "][" + b + "][" + u + "] = " + r.dc()[k][b][u]
                                + ", expected " + expected);
                        assertEquals(sigma, r.gates()[k][b][H + u], 1e-15);
                        if (k < steps - 1) {
                            assertEquals(0.0, r.dh()[k][b][u], 0.0, "no gradient reaches h_k without W_h");
                        }
                    }
                    double gain = r.probes().get(Probe.PATH_GAIN, b, k);
                    double expectedGain = (steps - 1 - k) * Math.log10(sigma);
                    assertEquals(expectedGain, gain, 1e-12 * Math.max(1.0, Math.abs(expectedGain)));
                }
            }
            synchronized (SUMMARY) {
                SUMMARY.put(String.format("carousel learned(%s) %s", bf, kind),
                        String.format("max rel err of dc vs dc[T-1]·σ(b_f)^lag: %.2e", max));
            }
        }
    }

    /** Random θ with W_h = 0, W_x[:, H:2H] = 0 and b_f = bf in every unit. */
    private static double[] carouselTheta(Layout lay, long seed, double bf) {
        double[] theta = randomTheta(seed, lay.count());
        for (int k = 0; k < H; k++) {
            for (int j = 0; j < 4 * H; j++) {
                theta[lay.wh(k, j)] = 0.0;
            }
        }
        for (int i = 0; i < I; i++) {
            for (int u = H; u < 2 * H; u++) {
                theta[lay.wx(i, u)] = 0.0;
            }
        }
        for (int u = H; u < 2 * H; u++) {
            theta[lay.bias(u)] = bf;
        }
        return theta;
    }

    @ParameterizedTest(name = "fixed({0}), T={1}")
    @MethodSource("fixedPathGainCases")
    void pathGainOfFixedGateIsLagTimesLogPhi(double phi, int steps) {
        Supervision sup = Supervision.lastStep(LossKind.MSE, steps);
        double[] theta = randomTheta(seedOf(phi, steps, "pg"), ReferenceNetwork.parameterCount(CellType.LSTM, I, H, O));
        SequenceBatch batch = randomBatch(seedOf(phi, steps, "pg-batch"), steps, B, I, O, sup);
        Result r = ReferenceNetwork.run(CellType.LSTM, new ForgetGate.Fixed(phi), H, theta, batch);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < steps; t++) {
                double expected = (steps - 1 - t) * Math.log10(phi);
                double got = r.probes().get(Probe.PATH_GAIN, b, t);
                assertTrue(Double.isFinite(got), "path gain must not underflow: " + got);
                assertEquals(expected, got, 1e-12 * Math.max(1.0, Math.abs(expected)), "t=" + t);
                assertEquals(phi, r.probes().get(Probe.FORGET, b, t), 1e-15);
            }
        }
    }

    static Stream<Arguments> fixedPathGainCases() {
        // φ = 0.01 over 200 steps: the direct product 1e-398 underflows a double; the log-space one does not
        return Stream.of(Arguments.of(0.7, T), Arguments.of(0.7, 40), Arguments.of(0.01, 200), Arguments.of(1.0, T));
    }

    @Test
    void pathGainOfNoForgetGateIsZero() {
        Supervision sup = Supervision.everyStep(LossKind.CROSS_ENTROPY, T);
        double[] theta = randomTheta(seedOf("none-pg"), ReferenceNetwork.parameterCount(CellType.LSTM, I, H, O));
        SequenceBatch batch = randomBatch(seedOf("none-pg-batch"), T, B, I, O, sup);
        Result r = ReferenceNetwork.run(CellType.LSTM, new ForgetGate.None(), H, theta, batch);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                assertEquals(0.0, r.probes().get(Probe.PATH_GAIN, b, t), 1e-12);
                assertEquals(1.0, r.probes().get(Probe.FORGET, b, t), 0.0);
            }
        }
    }

    /** A learned gate saturated shut (b_f = −30) over 40 steps: ∏ f ≈ e^{−1170} underflows, the probe does not. */
    @Test
    void pathGainOfSaturatedLearnedGateDoesNotUnderflow() {
        int steps = 40;
        double bf = -30.0;
        Supervision sup = Supervision.lastStep(LossKind.MSE, steps);
        Layout lay = ReferenceNetwork.layout(CellType.LSTM, I, H, O);
        double[] theta = carouselTheta(lay, seedOf("saturated"), bf);
        SequenceBatch batch = randomBatch(seedOf("saturated-batch"), steps, B, I, O, sup);
        Result r = ReferenceNetwork.run(CellType.LSTM, new ForgetGate.Learned(bf), H, theta, batch);
        double logSigma = bf - Math.log1p(Math.exp(bf));   // ln σ(bf), exact for bf < 0
        for (int t = 0; t < steps; t++) {
            double expected = (steps - 1 - t) * logSigma / Math.log(10.0);
            double got = r.probes().get(Probe.PATH_GAIN, 0, t);
            assertEquals(expected, got, 1e-12 * Math.max(1.0, Math.abs(expected)), "t=" + t);
        }
        assertTrue(r.probes().get(Probe.PATH_GAIN, 0, 0) < -500.0);
    }

    // --------------------------------------------------------------------------------------------
    // Probes against direct computations
    // --------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("probeCases")
    void probesMatchDirectComputation(Cell cell, String where) {
        Supervision sup = supervision(where, LossKind.MSE, T);
        boolean lstm = cell.type() == CellType.LSTM;
        int g = lstm ? 4 * H : H;
        double[] theta = randomTheta(seedOf(cell, where, "probes"), ReferenceNetwork.parameterCount(cell.type(), I, H, O));
        SequenceBatch batch = randomBatch(seedOf(cell, where, "probes-batch"), T, B, I, O, sup);
        Result r = ReferenceNetwork.run(cell.type(), cell.gate(), H, theta, batch);
        ProbeValues pv = r.probes();

        assertEquals(B, pv.batchSize());
        assertEquals(T, pv.steps());
        assertEquals(sup.lastStep(), pv.lastLossStep());
        for (Probe probe : Probe.values()) {
            assertEquals(probe.appliesTo(cell.type()), pv.has(probe), probe.key());
        }
        if (!lstm) {
            assertNull(r.c());
            assertNull(r.dc());
            assertNull(r.gates());
        }

        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                assertEquals(Math.log10(plainNorm(r.dh()[t][b])), pv.get(Probe.DH, b, t), 1e-12);
                if (t > sup.lastStep()) {
                    assertEquals(Double.NEGATIVE_INFINITY, pv.get(Probe.DH, b, t), "no gradient after the last loss");
                }
                if (lstm) {
                    assertEquals(Math.log10(plainNorm(r.dc()[t][b])), pv.get(Probe.DC, b, t), 1e-12);
                    double fMean = 0.0;
                    double gainMean = 0.0;
                    for (int u = 0; u < H; u++) {
                        fMean += r.gates()[t][b][H + u] / H;
                        double prod = 1.0;
                        for (int k = t + 1; k < T; k++) {
                            prod *= r.gates()[k][b][H + u];
                        }
                        gainMean += prod / H;
                    }
                    assertEquals(fMean, pv.get(Probe.FORGET, b, t), 1e-14);
                    assertEquals(Math.log10(gainMean), pv.get(Probe.PATH_GAIN, b, t), 1e-12);
                }
            }
        }
        if (lstm) {
            assertEquals(0.0, pv.get(Probe.PATH_GAIN, 0, T - 1), 1e-15, "empty product at t = T-1");
        }

        // DWH_STEP by the Gram identity ‖AᵀD‖²_F = Σ_{b,b'} (AAᵀ)_{bb'} (DDᵀ)_{bb'}, A = h_{t-1} [B,H], D = dz_t [B,G]
        assertEquals(Double.NEGATIVE_INFINITY, pv.get(Probe.DWH_STEP)[0], "h_{-1} = 0");
        for (int t = 1; t < T; t++) {
            double sq = 0.0;
            for (int b1 = 0; b1 < B; b1++) {
                for (int b2 = 0; b2 < B; b2++) {
                    double aa = 0.0;
                    for (int k = 0; k < H; k++) {
                        aa += r.h()[t - 1][b1][k] * r.h()[t - 1][b2][k];
                    }
                    double dd = 0.0;
                    for (int j = 0; j < g; j++) {
                        dd += r.dz()[t][b1][j] * r.dz()[t][b2][j];
                    }
                    sq += aa * dd;
                }
            }
            double expected = 0.5 * Math.log10(sq);
            double got = pv.get(Probe.DWH_STEP)[t];
            if (t > sup.lastStep()) {
                assertEquals(Double.NEGATIVE_INFINITY, got);
            } else {
                assertEquals(expected, got, 1e-10, "t=" + t);
            }
        }

        // dz rows relate to the parameter gradient: db = (1/B) Σ_t Σ_b dz_t[b]
        Layout lay = ReferenceNetwork.layout(cell.type(), I, H, O);
        for (int j = 0; j < g; j++) {
            double s = 0.0;
            for (int t = 0; t < T; t++) {
                for (int b = 0; b < B; b++) {
                    s += r.dz()[t][b][j];
                }
            }
            assertEquals(s / B, r.grad()[lay.bias(j)], 1e-14);
        }
    }

    static Stream<Arguments> probeCases() {
        List<Arguments> out = new ArrayList<>();
        for (Cell cell : cells()) {
            for (String where : List.of("last", "every", "mask{1,3}")) {
                out.add(Arguments.of(cell, where));
            }
        }
        return out.stream();
    }

    private static double plainNorm(double[] v) {
        double s = 0.0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    // --------------------------------------------------------------------------------------------
    // Entry points, layout, and a hand-written scalar case (checks the forward math itself)
    // --------------------------------------------------------------------------------------------

    @Test
    void entryPointsAgree() {
        for (Cell cell : cells()) {
            Supervision sup = Supervision.everyStep(LossKind.CROSS_ENTROPY, T);
            double[] theta = randomTheta(seedOf(cell, "entry"), ReferenceNetwork.parameterCount(cell.type(), I, H, O));
            SequenceBatch batch = randomBatch(seedOf(cell, "entry-batch"), T, B, I, O, sup);
            Result r = ReferenceNetwork.run(cell.type(), cell.gate(), H, theta, batch);
            double[] seq = ReferenceNetwork.sequenceLosses(cell.type(), cell.gate(), H, theta, batch, null);
            assertEquals(r.loss(), ReferenceNetwork.loss(cell.type(), cell.gate(), H, theta, batch, null), 0.0);
            assertArrayEquals(r.sequenceLosses(), seq, 0.0);
            assertEquals((seq[0] + seq[1]) / 2, r.loss(), 1e-15);
            assertEquals(ReferenceNetwork.parameterCount(cell.type(), I, H, O), r.grad().length);
        }
    }

    @Test
    void parameterCountAndLayout() {
        assertEquals(4 * H * (I + H + 1) + O * (H + 1), ReferenceNetwork.parameterCount(CellType.LSTM, I, H, O));
        assertEquals(H * (I + H + 1) + O * (H + 1), ReferenceNetwork.parameterCount(CellType.RNN, I, H, O));
        Layout lay = ReferenceNetwork.layout(CellType.LSTM, I, H, O);
        int g = 4 * H;
        assertEquals(0, lay.wx(0, 0));
        assertEquals(1 * g + 2, lay.wx(1, 2));
        assertEquals(I * g + 2 * g + 5, lay.wh(2, 5));
        assertEquals((I + H) * g + 7, lay.bias(7));
        assertEquals((I + H + 1) * g + 3 * O + 1, lay.wy(3, 1));
        assertEquals((I + H + 1) * g + H * O + 1, lay.by(1));

        // gate block order i, f, g, o: a single nonzero W_x[0][j] moves only gate column j
        for (int j = 0; j < g; j++) {
            double[] theta = new double[lay.count()];
            theta[lay.wx(0, j)] = 0.3;
            double[] inputs = new double[I];   // [T=1, B=1, I]
            inputs[0] = 1.0;
            SequenceBatch batch = new SequenceBatch(1, 1, I, O, inputs, new double[O],
                    Supervision.lastStep(LossKind.MSE, 1));
            double[] gates = ReferenceNetwork.run(CellType.LSTM, new ForgetGate.Learned(1.0), H, theta, batch)
                    .gates()[0][0];
            for (int col = 0; col < g; col++) {
                double z = col == j ? 0.3 : 0.0;
                double expected = col >= 2 * H && col < 3 * H ? Math.tanh(z) : 1.0 / (1.0 + Math.exp(-z));
                assertEquals(expected, gates[col], 1e-15, "j=" + j + " col=" + col);
            }
        }
    }

    /** I = H = O = 1, B = 1, T = 2, MSE at the last step, written out by hand. */
    @Test
    void scalarLstmByHand() {
        double[] th = {0.3, -0.2, 0.5, 0.1,    // W_x: i f g o
                       0.4, 0.25, -0.3, 0.2,   // W_h
                       0.05, 0.9, -0.1, 0.15,  // b
                       0.7,                    // W_y
                       -0.05};                 // b_y
        double x0 = 0.8, x1 = -0.6, target = 0.3;
        SequenceBatch batch = new SequenceBatch(2, 1, 1, 1, new double[] {x0, x1}, new double[] {0.0, target},
                Supervision.lastStep(LossKind.MSE, 2));
        Result r = ReferenceNetwork.run(CellType.LSTM, new ForgetGate.Learned(1.0), 1, th, batch);

        double i0 = sig(x0 * th[0] + th[8]), f0 = sig(x0 * th[1] + th[9]);
        double g0 = Math.tanh(x0 * th[2] + th[10]), o0 = sig(x0 * th[3] + th[11]);
        double c0 = f0 * 0.0 + i0 * g0, h0 = o0 * Math.tanh(c0);
        double i1 = sig(x1 * th[0] + h0 * th[4] + th[8]), f1 = sig(x1 * th[1] + h0 * th[5] + th[9]);
        double g1 = Math.tanh(x1 * th[2] + h0 * th[6] + th[10]), o1 = sig(x1 * th[3] + h0 * th[7] + th[11]);
        double c1 = f1 * c0 + i1 * g1, h1 = o1 * Math.tanh(c1);
        double y = h1 * th[12] + th[13];
        double loss = (y - target) * (y - target);
        assertEquals(loss, r.loss(), 1e-15);
        assertEquals(h0, r.h()[0][0][0], 1e-15);
        assertEquals(c1, r.c()[1][0][0], 1e-15);
        assertArrayEquals(new double[] {i1, f1, g1, o1}, r.gates()[1][0], 1e-15);

        double dy = 2 * (y - target);
        double dh1 = dy * th[12];
        double dc1 = dh1 * o1 * (1 - Math.tanh(c1) * Math.tanh(c1));
        double[] dz1 = {dc1 * g1 * i1 * (1 - i1), dc1 * c0 * f1 * (1 - f1), dc1 * i1 * (1 - g1 * g1),
                        dh1 * Math.tanh(c1) * o1 * (1 - o1)};
        double dh0 = dz1[0] * th[4] + dz1[1] * th[5] + dz1[2] * th[6] + dz1[3] * th[7];
        double dc0 = dh0 * o0 * (1 - Math.tanh(c0) * Math.tanh(c0)) + dc1 * f1;
        assertEquals(dh1, r.dh()[1][0][0], 1e-15);
        assertEquals(dc1, r.dc()[1][0][0], 1e-15);
        assertArrayEquals(dz1, r.dz()[1][0], 1e-15);
        assertEquals(dh0, r.dh()[0][0][0], 1e-15);
        assertEquals(dc0, r.dc()[0][0][0], 1e-15);
        assertEquals(dy * h1, r.grad()[12], 1e-15);
        assertEquals(dy, r.grad()[13], 1e-15);
        assertEquals(dz1[1] * h0, r.grad()[5], 1e-15);   // dW_h[0][f]: only t = 1 contributes (h_{-1} = 0)
    }

    /** I = H = 1, O = 2, B = 1, T = 2, RNN, cross-entropy at both steps, written out by hand. */
    @Test
    void scalarRnnCrossEntropyByHand() {
        double[] th = {0.6, -0.9, 0.1, 0.5, -0.4, 0.2, -0.3};  // W_x, W_h, b, W_y[0][0..1], b_y[0..1]
        double x0 = 1.0, x1 = -0.5;
        // targets: class 1 at t = 0, class 0 at t = 1
        SequenceBatch batch = new SequenceBatch(2, 1, 1, 2, new double[] {x0, x1}, new double[] {0, 1, 1, 0},
                Supervision.everyStep(LossKind.CROSS_ENTROPY, 2));
        Result r = ReferenceNetwork.run(CellType.RNN, null, 1, th, batch);
        double h0 = Math.tanh(x0 * th[0] + th[2]);
        double h1 = Math.tanh(x1 * th[0] + h0 * th[1] + th[2]);
        double ya0 = h0 * th[3] + th[5], yb0 = h0 * th[4] + th[6];
        double ya1 = h1 * th[3] + th[5], yb1 = h1 * th[4] + th[6];
        double ce0 = -(yb0 - Math.log(Math.exp(ya0) + Math.exp(yb0)));
        double ce1 = -(ya1 - Math.log(Math.exp(ya1) + Math.exp(yb1)));
        assertEquals((ce0 + ce1) / 2, r.loss(), 1e-15);
        assertEquals(h1, r.h()[1][0][0], 1e-15);
        double pa1 = Math.exp(ya1) / (Math.exp(ya1) + Math.exp(yb1));
        double dh1 = 0.5 * ((pa1 - 1) * th[3] + (1 - pa1) * th[4]);
        assertEquals(dh1, r.dh()[1][0][0], 1e-15);
        assertEquals(dh1 * (1 - h1 * h1), r.dz()[1][0][0], 1e-15);
    }

    @Test
    void crossEntropyIsStableForHugeLogits() {
        Layout lay = ReferenceNetwork.layout(CellType.RNN, 1, 1, 2);
        double[] theta = new double[lay.count()];
        theta[lay.by(0)] = 1000.0;
        theta[lay.by(1)] = 0.0;
        SequenceBatch batch = new SequenceBatch(1, 1, 1, 2, new double[] {0.0}, new double[] {0.0, 1.0},
                Supervision.lastStep(LossKind.CROSS_ENTROPY, 1));
        Result r = ReferenceNetwork.run(CellType.RNN, null, 1, theta, batch);
        assertEquals(1000.0, r.loss(), 1e-9);
        assertEquals(1.0, r.grad()[lay.by(0)], 1e-12);
        assertEquals(-1.0, r.grad()[lay.by(1)], 1e-12);
    }

    private static double sig(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }
}
