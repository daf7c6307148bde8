package dev.carousel.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The split of δc_t into the carousel term and the four gate terms through h_t (the {@code dc_*} probes): the terms
 * sum to the engine's own δc_t, the engine records exactly their norms and ratios, finite differences of the loss in
 * one gate's block of W_h confirm that gate's term, and W_h = 0 leaves the carousel alone.
 */
class CellGradientSplitTest {
    private static final int T = 7;
    private static final int B = 3;
    private static final int I = 2;
    private static final int H = 5;
    private static final int O = 2;
    private static final int G = 4 * H;

    static Stream<Arguments> modesAndHeads() {
        List<ForgetGate> gates = List.of(new ForgetGate.Learned(1.0), new ForgetGate.Chrono(T),
                new ForgetGate.Uniform(), new ForgetGate.Fixed(0.7), new ForgetGate.None());
        return gates.stream().flatMap(g -> Stream.of(Arguments.of(g, "last"), Arguments.of(g, "every")));
    }

    /**
     * In float64, at every step t, carousel + Σ_k gate_k + the head's own term (at loss steps) = the engine's δc_t to
     * 1e-12 relative, each term formed here from the engine's trace and θ; and the engine's recorded log10 norms,
     * share, agreement and cosine are those of these terms.
     */
    @ParameterizedTest(name = "{0}, loss at {1} step")
    @MethodSource("modesAndHeads")
    void termsSumToTheEnginesCellGradient(ForgetGate gate, String lossAt) {
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, H, O, gate, Precision.FLOAT64);
        SequenceBatch batch = TestBatches.random(T, B, I, O, TestBatches.supervision(LossKind.MSE, lossAt, T), 5);
        INDArray theta = TestBatches.randomTheta(spec, 11, 0.6);
        RecurrentNetwork net = new RecurrentNetwork(spec);
        ProbeValues pv = net.lossAndGradient(theta, batch, Nd4j.create(DataType.DOUBLE, theta.length()),
                EnumSet.allOf(Probe.class)).probes();
        RecurrentNetwork.Trace tr = net.trace();
        double[] th = theta.toDoubleVector();
        ReferenceNetwork.Layout lay = ReferenceNetwork.layout(CellType.LSTM, I, H, O);
        double[] dc = tr.dc().data().asDouble();        // [T·B, H]
        double[] a = tr.gates().data().asDouble();      // [T·B, G] activations i|f|g|o
        double[] c = tr.c().data().asDouble();          // [T·B, H]
        double[] hs = tr.h().data().asDouble();         // [T·B, H]
        double[] dz = tr.dz().data().asDouble();        // [T·B, G]
        boolean[] lossStep = batch.supervision().mask(T);
        double perStep = 1.0 / batch.supervision().count();
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < B; b++) {
                int row = t * B + b;
                double[] carousel = new double[H];
                double[][] via = new double[4][H];
                double[] head = new double[H];
                double[] total = new double[H];
                for (int u = 0; u < H; u++) {
                    double tc = Math.tanh(c[row * H + u]);
                    double dhdc = a[row * G + 3 * H + u] * (1 - tc * tc);
                    if (t + 1 < T) {
                        int next = (t + 1) * B + b;
                        carousel[u] = dc[next * H + u] * a[next * G + H + u];
                        for (int k = 0; k < 4; k++) {
                            double s = 0;
                            for (int j = 0; j < H; j++) {
                                s += dz[next * G + k * H + j] * th[lay.wh(u, k * H + j)];
                            }
                            via[k][u] = s * dhdc;
                        }
                    }
                    if (lossStep[t]) { // ∂ℓ_b/∂h_t from the head: Σ_o ∂ℓ/∂y_o · W_y[u][o], MSE
                        double s = 0;
                        for (int o = 0; o < O; o++) {
                            double y = th[lay.by(o)];
                            for (int k = 0; k < H; k++) {
                                y += hs[row * H + k] * th[lay.wy(k, o)];
                            }
                            double dy = perStep * 2 * (y - batch.targets()[row * O + o]) / O;
                            s += dy * th[lay.wy(u, o)];
                        }
                        head[u] = s * dhdc;
                    }
                    total[u] = carousel[u] + via[0][u] + via[1][u] + via[2][u] + via[3][u] + head[u];
                }
                double[] engine = new double[H];
                System.arraycopy(dc, row * H, engine, 0, H);
                double err = norm(minus(total, engine)) / norm(engine);
                assertTrue(err <= 1e-12, gate + " t=" + t + " b=" + b + ": terms sum to δc_t within " + err);
                checkRecorded(pv, b, t, carousel, via);
            }
        }
    }

    /** The engine's dc_* values at (b, t) are the log10 norms and ratios of these terms, to 1e-12. */
    private static void checkRecorded(ProbeValues pv, int b, int t, double[] carousel, double[][] via) {
        double[] gates = new double[H];
        for (double[] v : via) {
            for (int u = 0; u < H; u++) {
                gates[u] += v[u];
            }
        }
        double sum = norm(carousel);
        for (int k = 0; k < 4; k++) {
            sum += norm(via[k]);
            close(Math.log10(norm(via[k])), pv.get(Probe.VIA[k], b, t), Probe.VIA[k].key());
        }
        double[] all = new double[H];
        double dot = 0;
        for (int u = 0; u < H; u++) {
            all[u] = carousel[u] + gates[u];
            dot += carousel[u] * gates[u];
        }
        close(Math.log10(norm(carousel)), pv.get(Probe.DC_CAROUSEL, b, t), "dc_carousel");
        close(norm(carousel) / sum, pv.get(Probe.DC_SHARE, b, t), "dc_share");
        close(norm(all) / sum, pv.get(Probe.DC_AGREEMENT, b, t), "dc_agreement");
        close(dot / (norm(carousel) * norm(gates)), pv.get(Probe.DC_COSINE, b, t), "dc_cosine");
    }

    /**
     * T = 2, B = 1: the loss's derivative in gate k's block of W_h is h_0ᵀ·δz_1^{(k)}, so central differences in
     * that block alone give δz_1^{(k)} and with it gate k's term of δc_0, which the engine's dc_via_k matches.
     */
    @Test
    void finiteDifferencesInOneGatesBlockOfWhConfirmItsTerm() {
        int t = 2;
        ForgetGate gate = new ForgetGate.Learned(0.5);
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, H, O, gate, Precision.FLOAT64);
        SequenceBatch batch = TestBatches.random(t, 1, I, O, TestBatches.supervision(LossKind.MSE, "last", t), 3);
        INDArray theta = TestBatches.randomTheta(spec, 4, 0.8);
        RecurrentNetwork net = new RecurrentNetwork(spec);
        ProbeValues pv = net.lossAndGradient(theta, batch, Nd4j.create(DataType.DOUBLE, theta.length()),
                EnumSet.allOf(Probe.class)).probes();
        RecurrentNetwork.Trace tr = net.trace();
        double[] h0 = tr.h().getRow(0).toDoubleVector();       // [H], t = 0
        double[] c0 = tr.c().getRow(0).toDoubleVector();       // [H]
        double[] a0 = tr.gates().getRow(0).toDoubleVector();   // [G]
        int i = 0;
        for (int u = 1; u < H; u++) {
            if (Math.abs(h0[u]) > Math.abs(h0[i])) {
                i = u;
            }
        }
        double[] th = theta.toDoubleVector();
        ReferenceNetwork.Layout lay = ReferenceNetwork.layout(CellType.LSTM, I, H, O);
        double eps = 1e-6;
        for (int k = 0; k < 4; k++) {
            double[] dzk = new double[H];   // δz_1^{(k)} from ∂L/∂W_h[i][kH + j] = h_0[i]·δz_1^{(k)}[j]
            for (int j = 0; j < H; j++) {
                int q = lay.wh(i, k * H + j);
                double[] plus = th.clone();
                double[] minus = th.clone();
                plus[q] += eps;
                minus[q] -= eps;
                double d = (ReferenceNetwork.loss(CellType.LSTM, gate, H, plus, batch, null)
                        - ReferenceNetwork.loss(CellType.LSTM, gate, H, minus, batch, null)) / (2 * eps);
                dzk[j] = d / h0[i];
            }
            double[] term = new double[H];
            for (int u = 0; u < H; u++) {
                double s = 0;
                for (int j = 0; j < H; j++) {
                    s += dzk[j] * th[lay.wh(u, k * H + j)];
                }
                double tc = Math.tanh(c0[u]);
                term[u] = s * a0[3 * H + u] * (1 - tc * tc);
            }
            double want = Math.log10(norm(term));
            assertEquals(want, pv.get(Probe.VIA[k], 0, 0), 1e-6, Probe.VIA[k].key() + " by finite differences");
        }
    }

    /** With W_h = 0 no gradient reaches c_t through h_t: every gate term is zero and the carousel is all of the flow. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gates")
    void withoutRecurrentWeightsTheCarouselCarriesEverything(ForgetGate gate) {
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, H, O, gate, Precision.FLOAT64);
        SequenceBatch batch = TestBatches.random(T, B, I, O, TestBatches.supervision(LossKind.MSE, "last", T), 8);
        INDArray theta = TestBatches.randomTheta(spec, 9, 0.6);
        ReferenceNetwork.Layout lay = ReferenceNetwork.layout(CellType.LSTM, I, H, O);
        for (int k = 0; k < H * G; k++) {
            theta.putScalar(lay.wh() + k, 0.0);
        }
        RecurrentNetwork net = new RecurrentNetwork(spec);
        ProbeValues pv = net.lossAndGradient(theta, batch, Nd4j.create(DataType.DOUBLE, theta.length()),
                EnumSet.allOf(Probe.class)).probes();
        for (int b = 0; b < B; b++) {
            for (int t = 0; t + 1 < T; t++) {
                for (Probe via : Probe.VIA) {
                    assertEquals(Double.NEGATIVE_INFINITY, pv.get(via, b, t), via.key() + " at t=" + t);
                }
                assertTrue(Double.isFinite(pv.get(Probe.DC_CAROUSEL, b, t)));
                assertEquals(1.0, pv.get(Probe.DC_SHARE, b, t), "share at t=" + t);
                assertEquals(1.0, pv.get(Probe.DC_AGREEMENT, b, t), "agreement at t=" + t);
                assertTrue(Double.isNaN(pv.get(Probe.DC_COSINE, b, t)), "no gate term to take a cosine with");
                if (gate instanceof ForgetGate.Fixed f) { // carousel = φ·δc_{t+1}: its norm is φ·‖δc_{t+1}‖
                    assertEquals(Math.log10(f.value()) + pv.get(Probe.DC, b, t + 1), pv.get(Probe.DC_CAROUSEL, b, t),
                            1e-14, "fixed(φ) at t=" + t);
                }
            }
            assertEquals(Double.NEGATIVE_INFINITY, pv.get(Probe.DC_CAROUSEL, b, T - 1), "no step after the last");
            assertTrue(Double.isNaN(pv.get(Probe.DC_SHARE, b, T - 1)));
        }
    }

    static Stream<ForgetGate> gates() {
        return Stream.of(new ForgetGate.Learned(1.0), new ForgetGate.Fixed(0.7), new ForgetGate.Fixed(1.0),
                new ForgetGate.None());
    }

    /** Only the probes asked for are recorded, and the split applies to the LSTM alone. */
    @Test
    void theSplitIsRecordedWhenAskedForAndOnlyForTheLstm() {
        SequenceBatch batch = TestBatches.random(T, B, I, O, TestBatches.supervision(LossKind.MSE, "last", T), 2);
        ModelSpec lstm = new ModelSpec(CellType.LSTM, I, H, O, new ForgetGate.Learned(1.0), Precision.FLOAT32);
        INDArray theta = TestBatches.randomTheta(lstm, 1, 0.5);
        ProbeValues defaults = new RecurrentNetwork(lstm).lossAndGradient(theta, batch,
                Nd4j.create(DataType.FLOAT, theta.length()), Probe.defaults()).probes();
        assertEquals(Probe.defaults(), defaults.values().keySet());
        ModelSpec rnn = new ModelSpec(CellType.RNN, I, H, O, new ForgetGate.Learned(1.0), Precision.FLOAT32);
        INDArray rnnTheta = TestBatches.randomTheta(rnn, 1, 0.5);
        ProbeValues all = new RecurrentNetwork(rnn).lossAndGradient(rnnTheta, batch,
                Nd4j.create(DataType.FLOAT, rnnTheta.length()), EnumSet.allOf(Probe.class)).probes();
        assertEquals(EnumSet.of(Probe.DH, Probe.DWH_STEP), all.values().keySet());
        assertFalse(all.has(Probe.DC_SHARE));
    }

    private static void close(double want, double got, String what) {
        if (Double.isNaN(want) || Double.isInfinite(want)) {
            assertEquals(want, got, what);
        } else {
            assertEquals(want, got, 1e-12 * Math.max(1, Math.abs(want)), what);
        }
    }

    private static double[] minus(double[] x, double[] y) {
        double[] d = new double[x.length];
        for (int k = 0; k < x.length; k++) {
            d[k] = x[k] - y[k];
        }
        return d;
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
