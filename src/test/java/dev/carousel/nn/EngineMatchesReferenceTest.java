package dev.carousel.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J engine against the plain-Java {@link ReferenceNetwork}, tensor by tensor, in float64; and the
 * batched path against the step-by-step and the one-sequence-at-a-time paths. Both implementations sum
 * in different orders, so equality is to {@value #TOLERANCE} relative, not bitwise.
 */
class EngineMatchesReferenceTest {
    static final double TOLERANCE = 1e-11;
    static final int B = 3;
    static final int T = 6;
    static final int I = 2;
    static final int H = 5;
    static final int O = 3;

    static Stream<Arguments> cases() {
        return GradientCheckTest.cases();
    }

    static SequenceBatch batch(LossKind kind, String positions) {
        return TestBatches.random(T, B, I, O, TestBatches.supervision(kind, positions, T), 3);
    }

    @ParameterizedTest(name = "{0} {1} {2} loss at {3}")
    @MethodSource("cases")
    void everyTensorMatchesTheReference(CellType cell, ForgetGate gate, LossKind kind, String positions) {
        double worst = matchesTheReference(cell, gate, I, batch(kind, positions), 5, 0.8);
        System.out.printf("%s %s %s %s: max relative difference %.2e%n", cell, gate, kind, positions, worst);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void stepByStepEqualsBatched(CellType cell, ForgetGate gate, LossKind kind, String positions) {
        ModelSpec spec = new ModelSpec(cell, I, H, O, gate, Precision.FLOAT64);
        SequenceBatch batch = batch(kind, positions);
        INDArray theta = TestBatches.randomTheta(spec, 9, 0.8);
        RecurrentNetwork net = new RecurrentNetwork(spec);
        net.evaluate(theta, batch);
        RecurrentNetwork.Trace trace = net.trace();
        INDArray x = Nd4j.create(batch.inputs(), new long[] {(long) T * B, I}, DataType.DOUBLE);
        INDArray h = Nd4j.zeros(DataType.DOUBLE, B, H);
        INDArray c = Nd4j.zeros(DataType.DOUBLE, B, H);
        for (int t = 0; t < T; t++) {
            INDArray[] next = net.step(theta, x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(t * B, (t + 1) * B),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()), h, c);
            h = next[0];
            c = next[1];
            compare("h at step " + t, rows(trace.h(), t).dup().data().asDouble(), h.dup().data().asDouble());
            if (cell == CellType.LSTM) {
                compare("c at step " + t, rows(trace.c(), t).dup().data().asDouble(), c.dup().data().asDouble());
            }
        }
    }

    @Test
    void oneSequenceAtATimeEqualsTheBatch() {
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, H, O, new ForgetGate.Learned(1.0), Precision.FLOAT64);
        SequenceBatch batch = batch(LossKind.CROSS_ENTROPY, "mask");
        INDArray theta = TestBatches.randomTheta(spec, 13, 0.8);
        RecurrentNetwork net = new RecurrentNetwork(spec);
        INDArray grad = Nd4j.create(DataType.DOUBLE, theta.length());
        RecurrentNetwork.Result all = net.lossAndGradient(theta, batch, grad, true);
        INDArray summed = Nd4j.zeros(DataType.DOUBLE, theta.length());
        RecurrentNetwork single = new RecurrentNetwork(spec);
        for (int b = 0; b < B; b++) {
            SequenceBatch one = TestBatches.select(batch, b);
            INDArray g = Nd4j.create(DataType.DOUBLE, theta.length());
            RecurrentNetwork.Result r = single.lossAndGradient(theta, one, g, true);
            compare("sequence loss " + b, new double[] {all.sequenceLosses()[b]}, r.sequenceLosses());
            summed.addi(g.divi(B));
            for (Probe p : new Probe[] {Probe.DH, Probe.DC, Probe.FORGET, Probe.PATH_GAIN}) {
                for (int t = 0; t < T; t++) {
                    compare(p.key() + " b=" + b + " t=" + t, new double[] {all.probes().get(p, b, t)},
                            new double[] {r.probes().get(p, 0, t)});
                }
            }
        }
        compare("gradient of the batch = mean of per-sequence gradients", grad.toDoubleVector(), summed.toDoubleVector());
    }

    static INDArray rows(INDArray timeMajor, int t) {
        return timeMajor.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(t * B, (t + 1) * B),
                org.nd4j.linalg.indexing.NDArrayIndex.all());
    }

    static double[] flatten(double[][][] a) {
        int n = 0;
        for (double[][] x : a) {
            for (double[] y : x) {
                n += y.length;
            }
        }
        double[] out = new double[n];
        int k = 0;
        for (double[][] x : a) {
            for (double[] y : x) {
                System.arraycopy(y, 0, out, k, y.length);
                k += y.length;
            }
        }
        return out;
    }

    /** Asserts equal to TOLERANCE relative (infinities must match exactly); returns the worst difference. */
    static double compare(String what, double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, what + " length");
        double worst = 0;
        for (int k = 0; k < expected.length; k++) {
            double e = expected[k];
            double a = actual[k];
            if (Double.isInfinite(e) || Double.isInfinite(a)) {
                assertEquals(e, a, what + "[" + k + "]");
                continue;
            }
            // Values that are zero up to rounding of O(1) sums (|x| < 1e-14 on both sides) have no
            // meaningful relative difference; everything else must agree to TOLERANCE relative.
            if (Math.max(Math.abs(e), Math.abs(a)) >= 1e-14) {
                worst = Math.max(worst, Math.abs(e - a) / Math.max(Math.abs(e), Math.abs(a)));
            }
        }
        assertTrue(worst <= TOLERANCE, what + ": max relative difference " + worst);
        return worst;
    }

    /**
     * The network keeps its parameter views while it is handed the same θ and gradient objects; a new object, or
     * new values written into the same one, must still be read afresh.
     */
    @Test
    void newParameterObjectsAndInPlaceChangesAreSeen() {
        for (Precision precision : Precision.values()) {
            ModelSpec spec = new ModelSpec(CellType.LSTM, I, H, O, new ForgetGate.Learned(1.0), precision);
            DataType type = precision.dataType();
            SequenceBatch batch = batch(LossKind.MSE, "last");
            INDArray a = TestBatches.randomTheta(spec, 5, 0.8).castTo(type);
            INDArray b = TestBatches.randomTheta(spec, 6, 0.8).castTo(type);
            RecurrentNetwork net = new RecurrentNetwork(spec);
            INDArray grad = Nd4j.create(type, a.length());
            for (INDArray theta : new INDArray[] {a, b, a}) {
                net.lossAndGradient(theta, batch, grad, false);
                INDArray fresh = Nd4j.create(type, a.length());
                double loss = new RecurrentNetwork(spec).lossAndGradient(theta, batch, fresh, false).loss();
                assertEquals(loss, net.lossAndGradient(theta, batch, grad, false).loss(), 0.0, precision.toString());
                assertArrayEquals(fresh.toDoubleVector(), grad.toDoubleVector(), 0.0, precision.toString());
            }
            a.muli(0.5); // same object, new values
            INDArray fresh = Nd4j.create(type, a.length());
            double loss = new RecurrentNetwork(spec).lossAndGradient(a, batch, fresh, false).loss();
            assertEquals(loss, net.lossAndGradient(a, batch, grad, false).loss(), 0.0);
            assertArrayEquals(fresh.toDoubleVector(), grad.toDoubleVector(), 0.0);
        }
    }

    /** dW_x is one gemv per input below 4 inputs and one GEMM from 4 on: both against the reference. */
    @ParameterizedTest(name = "I = {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3, 4, 7})
    void inputWeightGradientMatchesTheReferenceForThinAndWideInputs(int inputs) {
        ModelSpec spec = new ModelSpec(CellType.LSTM, inputs, H, O, new ForgetGate.Learned(1.0), Precision.FLOAT64);
        SequenceBatch batch = TestBatches.random(T, B, inputs, O, TestBatches.supervision(LossKind.MSE, "last", T), 4);
        INDArray theta = TestBatches.randomTheta(spec, 7, 0.8);
        INDArray grad = Nd4j.create(DataType.DOUBLE, theta.length());
        new RecurrentNetwork(spec).lossAndGradient(theta, batch, grad, false);
        ReferenceNetwork.Result ref = ReferenceNetwork.run(CellType.LSTM, new ForgetGate.Learned(1.0), H,
                theta.toDoubleVector(), batch);
        assertTrue(compare("grad", ref.grad(), grad.toDoubleVector()) < TOLERANCE);
    }

    /**
     * From {@link RecurrentNetwork#PER_STEP_INPUT_BELOW} inputs on, x·W_x is one [T·B, I]×[I, G] product before
     * the time loop instead of one [B, I]×[I, G] product per step: I = 32 is the first size on that path, I = 48
     * one well past it. Every tensor against the reference, in float64.
     */
    @ParameterizedTest(name = "{0} I = {1}")
    @org.junit.jupiter.params.provider.CsvSource({"LSTM, 32", "LSTM, 48", "RNN, 32", "RNN, 48"})
    void preLoopInputProductMatchesTheReference(CellType cell, int inputs) {
        assertTrue(inputs >= RecurrentNetwork.PER_STEP_INPUT_BELOW, "I = " + inputs + " must take the pre-loop product");
        SequenceBatch batch = TestBatches.random(T, B, inputs, O, TestBatches.supervision(LossKind.MSE, "mask", T), 8);
        matchesTheReference(cell, new ForgetGate.Learned(1.0), inputs, batch, 9, 0.3);
    }

    /**
     * The float64 engine's loss, per-sequence losses, gradient, every traced tensor and every probe on {@code batch}
     * against the reference, with θ drawn from {@code thetaSeed} at {@code thetaScale}; returns the largest relative
     * difference.
     */
    private static double matchesTheReference(CellType cell, ForgetGate gate, int inputs, SequenceBatch batch,
                                              long thetaSeed, double thetaScale) {
        ModelSpec spec = new ModelSpec(cell, inputs, H, O, gate, Precision.FLOAT64);
        INDArray theta = TestBatches.randomTheta(spec, thetaSeed, thetaScale);
        RecurrentNetwork net = new RecurrentNetwork(spec);
        INDArray grad = Nd4j.create(DataType.DOUBLE, theta.length());
        RecurrentNetwork.Result result = net.lossAndGradient(theta, batch, grad, true);
        RecurrentNetwork.Trace trace = net.trace();
        ReferenceNetwork.Result ref = ReferenceNetwork.run(cell, gate, H, theta.toDoubleVector(), batch);

        double worst = 0;
        worst = Math.max(worst, compare("loss", new double[] {ref.loss()}, new double[] {result.loss()}));
        worst = Math.max(worst, compare("sequence losses", ref.sequenceLosses(), result.sequenceLosses()));
        worst = Math.max(worst, compare("grad", ref.grad(), grad.toDoubleVector()));
        worst = Math.max(worst, compare("h", flatten(ref.h()), trace.h().data().asDouble()));
        worst = Math.max(worst, compare("dh", flatten(ref.dh()), trace.dh().data().asDouble()));
        worst = Math.max(worst, compare("dz", flatten(ref.dz()), trace.dz().data().asDouble()));
        if (cell == CellType.LSTM) {
            worst = Math.max(worst, compare("c", flatten(ref.c()), trace.c().data().asDouble()));
            worst = Math.max(worst, compare("gates", flatten(ref.gates()), trace.gates().data().asDouble()));
            worst = Math.max(worst, compare("dc", flatten(ref.dc()), trace.dc().data().asDouble()));
        }
        for (Probe probe : Probe.values()) {
            assertEquals(ref.probes().has(probe), result.probes().has(probe), probe.key() + " presence");
            if (ref.probes().has(probe)) {
                worst = Math.max(worst, compare(probe.key(), ref.probes().get(probe), result.probes().get(probe)));
            }
        }
        assertEquals(ref.probes().lastLossStep(), result.probes().lastLossStep());
        return worst;
    }
}
