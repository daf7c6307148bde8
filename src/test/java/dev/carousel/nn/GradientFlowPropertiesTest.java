package dev.carousel.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Exact identities of gradient flow that the engine must reproduce: the carousel factor σ(b_f)^lag,
 * the contraction bound of a tanh-RNN with spectral radius below 1 (Pascanu et al. 2013), and the
 * path gain of constant forget gates; and the initialisations that set them up.
 */
class GradientFlowPropertiesTest {
    static final int T = 40;
    static final int B = 4;
    static final int I = 2;
    static final int H = 16;

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    static SequenceBatch lastStepBatch(int steps, long seed) {
        return TestBatches.random(steps, B, I, 1, Supervision.lastStep(LossKind.MSE, steps), seed);
    }

    /**
     * With W_h = 0 and input→forget weights 0, every path back from c_T except the carousel is cut and
     * f_t = σ(b_f) for all t, so ∂ℓ/∂c_k = ∂ℓ/∂c_{T−1} · σ(b_f)^{T−1−k} element by element.
     */
    @ParameterizedTest
    @ValueSource(doubles = {-1.0, 0.0, 1.0, 3.0})
    void cellGradientDecaysExactlyAsTheForgetBiasPower(double bias) {
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, H, 1, new ForgetGate.Learned(bias), Precision.FLOAT64);
        INDArray theta = Initializer.initialize(spec, 1.0, 17);
        Parameters p = new Parameters(spec.layout(), theta);
        p.wh.assign(0);
        p.wx.get(NDArrayIndex.all(), NDArrayIndex.interval(H, 2 * H)).assign(0);
        RecurrentNetwork net = new RecurrentNetwork(spec);
        net.lossAndGradient(theta, lastStepBatch(T, 3), Nd4j.create(DataType.DOUBLE, theta.length()), false);
        double[] dc = net.trace().dc().data().asDouble(); // [T·B, H]
        double f = sigmoid(bias);
        double worst = 0;
        for (int k = 0; k < T; k++) {
            for (int b = 0; b < B; b++) {
                for (int u = 0; u < H; u++) {
                    double last = dc[((T - 1) * B + b) * H + u];
                    double expected = last * Math.pow(f, T - 1 - k);
                    double actual = dc[(k * B + b) * H + u];
                    worst = Math.max(worst, Math.abs(actual - expected) / Math.abs(expected));
                }
            }
        }
        System.out.printf("bias %.1f: max relative deviation from σ(b_f)^lag %.2e%n", bias, worst);
        assertTrue(worst < 1e-10, "max relative deviation " + worst);
    }

    /**
     * The same identity in float32, compared in log space as the probes record it: log10 ‖∂ℓ/∂c_k‖ −
     * log10 ‖∂ℓ/∂c_{T−1}‖ = (T−1−k)·log10 σ(b_f) per sequence, to 1e-5 (float32 rounding over T steps is ~1e-6
     * in log10). T = 150 at bias 3 reaches σ(3)^149 ≈ 7e-4; bias 0 at T = 100 reaches 0.5^99 ≈ 1.6e-30, still a
     * normal float32, so nothing underflows.
     */
    @ParameterizedTest
    @ValueSource(doubles = {0.0, 1.0, 3.0})
    void cellGradientDecaysAsTheForgetBiasPowerInFloat32LogSpace(double bias) {
        int steps = bias == 3.0 ? 150 : 100;
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, H, 1, new ForgetGate.Learned(bias), Precision.FLOAT32);
        INDArray theta = Initializer.initialize(spec, 1.0, 17);
        Parameters p = new Parameters(spec.layout(), theta);
        p.wh.assign(0);
        p.wx.get(NDArrayIndex.all(), NDArrayIndex.interval(H, 2 * H)).assign(0);
        ProbeValues probes = new RecurrentNetwork(spec).lossAndGradient(theta, lastStepBatch(steps, 3),
                Nd4j.create(DataType.FLOAT, theta.length()), true).probes();
        double perStep = Math.log10(sigmoid(bias));
        double worst = 0;
        for (int b = 0; b < B; b++) {
            double atLoss = probes.get(Probe.DC, b, steps - 1);
            for (int k = 0; k < steps; k++) {
                double expected = (steps - 1 - k) * perStep;
                worst = Math.max(worst, Math.abs(probes.get(Probe.DC, b, k) - atLoss - expected));
            }
        }
        System.out.printf("float32, bias %.1f, T = %d: max |log10 ratio − lag·log10 σ(b_f)| %.2e%n", bias, steps, worst);
        assertTrue(worst < 1e-5, "max log10 deviation " + worst);
    }

    /**
     * A linear RNN with W_h = ρQ: the tanh-RNN at its fixed point. Zero inputs and zero biases keep h_t = 0, where
     * tanh' = 1, so every backward step multiplies δh by exactly (ρQ)ᵀ, an orthogonal map times ρ, and
     * ‖∂ℓ/∂h_k‖/‖∂ℓ/∂h_{T−1}‖ = ρ^{T−1−k} (Pascanu et al. 2013's bound, met with equality). Float64, 1e-10 relative.
     */
    @ParameterizedTest
    @ValueSource(doubles = {0.5, 0.9, 1.0, 1.5})
    void linearRnnGradientScalesExactlyAsTheGainPower(double rho) {
        int steps = 60;
        ModelSpec spec = new ModelSpec(CellType.RNN, I, H, 1, null, Precision.FLOAT64);
        INDArray theta = Initializer.initialize(spec, rho, 5);
        Parameters p = new Parameters(spec.layout(), theta);
        p.b.assign(0);
        p.by.assign(0);
        SequenceBatch random = lastStepBatch(steps, 8);
        double[] targets = new double[steps * B];
        for (int b = 0; b < B; b++) {
            targets[((steps - 1) * B + b)] = 0.5 + b; // nonzero targets: δh_{T−1} = (0 − y)·W_yᵀ ≠ 0
        }
        SequenceBatch zeroInputs = new SequenceBatch(steps, B, I, 1, new double[steps * B * I], targets,
                random.supervision());
        RecurrentNetwork net = new RecurrentNetwork(spec);
        ProbeValues probes = net.lossAndGradient(theta, zeroInputs, Nd4j.create(DataType.DOUBLE, theta.length()), true)
                .probes();
        double worst = 0;
        for (int b = 0; b < B; b++) {
            double atLoss = Math.pow(10, probes.get(Probe.DH, b, steps - 1));
            for (int lag = 0; lag < steps; lag++) {
                double ratio = Math.pow(10, probes.get(Probe.DH, b, steps - 1 - lag)) / atLoss;
                double expected = Math.pow(rho, lag);
                worst = Math.max(worst, Math.abs(ratio - expected) / expected);
            }
        }
        System.out.printf("linear RNN ρ = %.2f: max relative deviation from ρ^lag %.2e%n", rho, worst);
        assertTrue(worst < 1e-10, "max relative deviation " + worst);
    }

    /** ‖∂h_{t}/∂h_{t−1}‖ ≤ ‖W_h‖·max|tanh'| ≤ 0.9, so the backward ratio is at most 0.9^lag. */
    @Test
    void contractiveRnnGradientStaysBelowTheGainPower() {
        int steps = 60;
        ModelSpec spec = new ModelSpec(CellType.RNN, I, H, 1, null, Precision.FLOAT64);
        INDArray theta = Initializer.initialize(spec, 0.9, 5);
        RecurrentNetwork net = new RecurrentNetwork(spec);
        ProbeValues probes = net.lossAndGradient(theta, lastStepBatch(steps, 8),
                Nd4j.create(DataType.DOUBLE, theta.length()), true).probes();
        double slack = Double.NEGATIVE_INFINITY;
        for (int b = 0; b < B; b++) {
            double atLoss = probes.get(Probe.DH, b, steps - 1);
            for (int lag = 1; lag < steps; lag++) {
                double logRatio = probes.get(Probe.DH, b, steps - 1 - lag) - atLoss;
                double bound = lag * Math.log10(0.9);
                slack = Math.max(slack, logRatio - bound);
                assertTrue(logRatio <= bound + 1e-12, "lag " + lag + ": log10 ratio " + logRatio + " > " + bound);
            }
        }
        System.out.printf("tanh-RNN gain 0.9: closest approach to the bound (log10) %.3f%n", slack);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "fixed(1.0)"})
    void unitForgetGateHasPathGainExactlyOne(String mode) {
        ForgetGate gate = mode.equals("none") ? new ForgetGate.None() : new ForgetGate.Fixed(1.0);
        for (Precision precision : Precision.values()) {
            ProbeValues probes = probesAtInit(gate, precision, T);
            for (double v : probes.get(Probe.PATH_GAIN)) {
                assertEquals(0.0, v, 0.0, "log10 path gain must be exactly 0");
            }
            for (double v : probes.get(Probe.FORGET)) {
                assertEquals(1.0, v, 0.0);
            }
        }
    }

    @Test
    void fixedForgetGateHasPathGainPhiToTheLag() {
        double phi = 0.8;
        ProbeValues probes = probesAtInit(new ForgetGate.Fixed(phi), Precision.FLOAT64, T);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                double expected = (T - 1 - t) * Math.log10(phi);
                assertEquals(expected, probes.get(Probe.PATH_GAIN, b, t), 1e-12 * Math.max(1, Math.abs(expected)));
            }
        }
    }

    /** 0.5^399 ≈ 1e-120 underflows float32 as a product; accumulated in log space it stays exact. */
    @Test
    void pathGainDoesNotUnderflowInFloat32() {
        int steps = 400;
        ProbeValues probes = probesAtInit(new ForgetGate.Fixed(0.5), Precision.FLOAT32, steps);
        double expected = (steps - 1) * Math.log10(0.5);
        assertEquals(expected, probes.get(Probe.PATH_GAIN, 0, 0), 1e-6 * Math.abs(expected));
    }

    static ProbeValues probesAtInit(ForgetGate gate, Precision precision, int steps) {
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, H, 1, gate, precision);
        INDArray theta = Initializer.initialize(spec, 1.0, 2);
        return new RecurrentNetwork(spec).lossAndGradient(theta, lastStepBatch(steps, 4),
                Nd4j.create(precision.dataType(), theta.length()), true).probes();
    }

    @Test
    void chronoInitSetsInputBiasToMinusForgetBias() {
        int tmax = 100;
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, 64, 1, new ForgetGate.Chrono(tmax), Precision.FLOAT64);
        Parameters p = new Parameters(spec.layout(), Initializer.initialize(spec, 1.0, 9));
        double[] b = p.b.dup().data().asDouble();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int u = 0; u < 64; u++) {
            double bf = b[64 + u];
            assertEquals(-bf, b[u], 0.0, "b_i must be exactly −b_f (Tallec & Ollivier 2018)");
            assertTrue(bf >= 0 && bf <= Math.log(tmax - 1), "b_f = " + bf + " outside [0, log(T_max − 1)]");
            min = Math.min(min, bf);
            max = Math.max(max, bf);
            assertEquals(0.0, b[2 * 64 + u], 0.0);
            assertEquals(0.0, b[3 * 64 + u], 0.0);
        }
        assertTrue(max - min > 1.0, "chrono biases should spread over [0, log 99], got [" + min + ", " + max + "]");
    }

    @Test
    void learnedAndUniformInitSetTheForgetBias() {
        ModelSpec learned = new ModelSpec(CellType.LSTM, I, 32, 1, new ForgetGate.Learned(1.5), Precision.FLOAT64);
        double[] b = new Parameters(learned.layout(), Initializer.initialize(learned, 1.0, 1)).b.dup().data().asDouble();
        for (int u = 0; u < 32; u++) {
            assertEquals(1.5, b[32 + u], 0.0);
            assertEquals(0.0, b[u], 0.0);
        }
        ModelSpec uniform = new ModelSpec(CellType.LSTM, I, 32, 1, new ForgetGate.Uniform(), Precision.FLOAT64);
        double[] bu = new Parameters(uniform.layout(), Initializer.initialize(uniform, 1.0, 1)).b.dup().data().asDouble();
        for (int u = 0; u < 32; u++) {
            double f = sigmoid(bu[32 + u]);
            assertTrue(f >= 1.0 / 32 - 1e-12 && f <= 1 - 1.0 / 32 + 1e-12, "σ(b_f) = " + f + " outside [1/H, 1 − 1/H]");
        }
    }

    @Test
    void recurrentBlocksAreGainTimesOrthogonal() {
        double gain = 1.5;
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, 24, 1, new ForgetGate.Learned(1.0), Precision.FLOAT64);
        Parameters p = new Parameters(spec.layout(), Initializer.initialize(spec, gain, 4));
        for (int k = 0; k < 4; k++) {
            INDArray q = p.wh.get(NDArrayIndex.all(), NDArrayIndex.interval(k * 24, (k + 1) * 24)).dup();
            INDArray gram = q.transpose().mmul(q).divi(gain * gain);
            double err = gram.sub(Nd4j.eye(24).castTo(DataType.DOUBLE)).norm2Number().doubleValue();
            assertTrue(err < 1e-12, "block " + k + ": ‖QᵀQ − I‖ = " + err);
        }
    }

    @Test
    void glorotRecurrentMatrixIsGainTimesUniformOverTheWholeMatrix() {
        double gain = 0.8;
        int h = 64;
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, h, 1, new ForgetGate.Learned(1.0), Precision.FLOAT64);
        INDArray theta = Initializer.initialize(spec, gain, RecurrentInit.GLOROT, 4);
        double[] wh = new Parameters(spec.layout(), theta).wh.dup().data().asDouble();
        double limit = gain * Math.sqrt(6.0 / (h + 4 * h));
        double sumSq = 0;
        double max = 0;
        for (double w : wh) {
            sumSq += w * w;
            max = Math.max(max, Math.abs(w));
        }
        assertTrue(max <= limit, "max |w| " + max + " above the Glorot limit " + limit);
        assertTrue(max > 0.99 * limit, "max |w| " + max + " does not reach the limit " + limit + ": not U(±limit)");
        // Var U(±a) = a²/3; with 16384 draws the sample variance is within 2% of it (≈ 5 standard errors).
        double variance = sumSq / wh.length;
        assertEquals(limit * limit / 3, variance, 0.02 * limit * limit / 3);
        // The rest of θ is drawn from streams of its own: W_x, W_y and b equal the orthogonal scheme's.
        Parameters orth = new Parameters(spec.layout(), Initializer.initialize(spec, gain, RecurrentInit.ORTHOGONAL, 4));
        Parameters glorot = new Parameters(spec.layout(), theta);
        assertEquals(orth.wx, glorot.wx);
        assertEquals(orth.b, glorot.b);
        assertArrayEquals(Initializer.initialize(spec, gain, RecurrentInit.GLOROT, 4).data().asDouble(),
                theta.data().asDouble(), "the same seed draws the same θ, bit for bit");
    }

    @Test
    void initialisationIsAPureFunctionOfTheSeed() {
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, 16, 3, new ForgetGate.Chrono(50), Precision.FLOAT32);
        // Element by element on the raw values: INDArray.equals compares within 1e-5, not bit for bit.
        double[] a = Initializer.initialize(spec, 1.0, 77).data().asDouble();
        assertArrayEquals(a, Initializer.initialize(spec, 1.0, 77).data().asDouble(), "bit for bit");
        double[] other = Initializer.initialize(spec, 1.0, 78).data().asDouble();
        long differing = java.util.stream.IntStream.range(0, a.length).filter(i -> a[i] != other[i]).count();
        assertTrue(differing > a.length / 2, "another seed draws another θ: " + differing + " of " + a.length + " differ");
    }
}
