package dev.carousel.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The float32 engine (float arithmetic, {@link FloatMath} activations, sgemm) against the float64 reference
 * run on the same float32 parameters: every tensor to {@value #TOLERANCE} of its largest magnitude, every
 * log10 probe to {@value #LOG_TOLERANCE}. The float64 engine is held to 1e-11 by
 * {@link EngineMatchesReferenceTest}; this bounds what float32 rounding and the fast activations add.
 */
class Float32EngineTest {
    static final double TOLERANCE = 1e-4;
    static final double LOG_TOLERANCE = 1e-3;

    @ParameterizedTest(name = "{0} {1} {2} loss at {3}")
    @MethodSource("dev.carousel.nn.GradientCheckTest#cases")
    void everyTensorMatchesTheReference(CellType cell, ForgetGate gate, LossKind kind, String positions) {
        int t = 12;
        SequenceBatch batch = TestBatches.random(t, 4, 3, 3, TestBatches.supervision(kind, positions, t), 3);
        matchesTheReference(cell, gate, 3, batch, 5, 0.8);
    }

    /**
     * The pre-loop input product (I ≥ {@link RecurrentNetwork#PER_STEP_INPUT_BELOW}) in float32 against the float64
     * reference, to the same bounds as the narrow inputs above. They hold with room: each z_t sums I + H ≤ 64 float
     * products, whose rounding error is at most (I + H)·u·Σ|x·w| with u = 6e-8 (4e-6 relative in the worst case,
     * about √(I + H)·u = 5e-7 typically), and the worst tensor here differs from the reference by 3e-6 of its
     * largest magnitude over 12 steps, 30 times below {@value #TOLERANCE}.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} I = {1}")
    @org.junit.jupiter.params.provider.CsvSource({"LSTM, 32", "LSTM, 48", "RNN, 32", "RNN, 48"})
    void preLoopInputProductMatchesTheReference(CellType cell, int i) {
        assertTrue(i >= RecurrentNetwork.PER_STEP_INPUT_BELOW, "I = " + i + " must take the pre-loop product");
        int t = 12;
        SequenceBatch batch = TestBatches.random(t, 4, i, 3, TestBatches.supervision(LossKind.MSE, "mask", t), 8);
        matchesTheReference(cell, new ForgetGate.Learned(1.0), i, batch, 9, 0.3);
    }

    /**
     * The float32 engine's loss, gradient, every traced tensor and every probe on {@code batch} against the float64
     * reference, with θ drawn from {@code thetaSeed} at {@code thetaScale} (H = 16, O = 3).
     */
    private static void matchesTheReference(CellType cell, ForgetGate gate, int i, SequenceBatch batch, long thetaSeed,
                                            double thetaScale) {
        int h = 16;
        int o = 3;
        ModelSpec spec = new ModelSpec(cell, i, h, o, gate, Precision.FLOAT32);
        INDArray theta = TestBatches.randomTheta(new ModelSpec(cell, i, h, o, gate, Precision.FLOAT64), thetaSeed,
                thetaScale).castTo(DataType.FLOAT);
        RecurrentNetwork net = new RecurrentNetwork(spec);
        INDArray grad = Nd4j.create(DataType.FLOAT, theta.length());
        RecurrentNetwork.Result result = net.lossAndGradient(theta, batch, grad, true);
        RecurrentNetwork.Trace trace = net.trace();
        ReferenceNetwork.Result ref = ReferenceNetwork.run(cell, gate, h, theta.toDoubleVector(), batch);

        close("loss", new double[] {ref.loss()}, new double[] {result.loss()});
        close("grad", ref.grad(), grad.toDoubleVector());
        close("h", EngineMatchesReferenceTest.flatten(ref.h()), trace.h().data().asDouble());
        close("dh", EngineMatchesReferenceTest.flatten(ref.dh()), trace.dh().data().asDouble());
        close("dz", EngineMatchesReferenceTest.flatten(ref.dz()), trace.dz().data().asDouble());
        if (cell == CellType.LSTM) {
            close("c", EngineMatchesReferenceTest.flatten(ref.c()), trace.c().data().asDouble());
            close("gates", EngineMatchesReferenceTest.flatten(ref.gates()), trace.gates().data().asDouble());
            close("dc", EngineMatchesReferenceTest.flatten(ref.dc()), trace.dc().data().asDouble());
        }
        for (Probe probe : Probe.values()) {
            if (ref.probes().has(probe)) {
                double[] want = ref.probes().get(probe);
                double[] got = result.probes().get(probe);
                for (int k = 0; k < want.length; k++) {
                    if (Double.isInfinite(want[k])) {
                        assertEquals(want[k], got[k], probe.key() + "[" + k + "]");
                    } else {
                        assertEquals(want[k], got[k], LOG_TOLERANCE, probe.key() + "[" + k + "]");
                    }
                }
            }
        }
    }

    /** max |a − b| ≤ TOLERANCE · max |a| (plus a floor for all-zero tensors). */
    static void close(String what, double[] want, double[] got) {
        assertEquals(want.length, got.length, what + " length");
        double scale = 0;
        double worst = 0;
        for (int k = 0; k < want.length; k++) {
            scale = Math.max(scale, Math.abs(want[k]));
            worst = Math.max(worst, Math.abs(want[k] - got[k]));
        }
        assertTrue(worst <= TOLERANCE * scale + 1e-7, what + ": max difference " + worst + " against scale " + scale);
    }

    @Test
    void fastActivationsAreFloatAccurate() {
        SplittableRandom r = new SplittableRandom(1);
        double worstTanh = 0;
        double worstSigmoid = 0;
        for (int k = 0; k < 200_000; k++) {
            float x = (float) ((r.nextDouble() - 0.5) * 40);
            double tanh = Math.tanh(x);
            worstTanh = Math.max(worstTanh, Math.abs(FloatMath.tanh(x) - tanh) / Math.max(Math.abs(tanh), 1e-30));
            double sigmoid = 1 / (1 + Math.exp(-x));
            worstSigmoid = Math.max(worstSigmoid, Math.abs(FloatMath.sigmoid(x) - sigmoid));
        }
        assertTrue(worstTanh < 4e-7, "tanh relative error " + worstTanh);
        assertTrue(worstSigmoid < 2e-7, "sigmoid absolute error " + worstSigmoid);
        assertEquals(1f, FloatMath.tanh(50f));
        assertEquals(-1f, FloatMath.tanh(-50f));
        assertEquals(0f, FloatMath.tanh(0f));
        assertEquals(0.5f, FloatMath.sigmoid(0f));
    }
}
