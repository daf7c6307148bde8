package dev.carousel.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Finite-difference checks of the ND4J engine in float64 on tiny sizes, for every cell, forget-gate
 * mode and head: every component of ∂L/∂θ, and of ∂ℓ_b/∂h_t and ∂ℓ_b/∂c_t at every t.
 *
 * <p>The fourth-order central stencil [−f(x+2ε) + 8f(x+ε) − 8f(x−ε) + f(x−2ε)] / 12ε has truncation
 * error O(ε⁴·f⁽⁵⁾) and rounding error O(u·|f|/ε) with u ≈ 1.1e-16; ε = 1e-3 puts both near 1e-13
 * absolute, which a second-order stencil cannot reach (its best is ~1e-10), so components down to
 * ~1e-7 are resolved to 1e-6 relative.
 *
 * <p>The error measure is |a − b| / max(|a|, |b|, {@value #FLOOR}). Without a floor a component whose
 * true value is ~0 (a constant gate's parameters, a state after the last loss step) would be judged on
 * stencil rounding noise alone (seen up to 7e-14); with it, components below {@value #FLOOR} must agree
 * to 1e-13 absolute, and every larger one to 1e-6 relative.
 */
class GradientCheckTest {
    static final double EPS = 1e-3;
    static final double TOLERANCE = 1e-6;
    static final double FLOOR = 1e-7;
    static final int B = 2;
    static final int T = 5;
    static final int I = 3;
    static final int H = 4;
    static final int O = 3;

    static Stream<Arguments> cases() {
        List<ForgetGate> gates = List.of(new ForgetGate.Learned(1.0), new ForgetGate.Chrono(5), new ForgetGate.Uniform(),
                new ForgetGate.Fixed(0.7), new ForgetGate.None());
        List<Arguments> out = new ArrayList<>();
        for (LossKind kind : LossKind.values()) {
            for (String positions : List.of("last", "every", "mask")) {
                for (ForgetGate g : gates) {
                    out.add(Arguments.of(CellType.LSTM, g, kind, positions));
                }
                out.add(Arguments.of(CellType.RNN, null, kind, positions));
            }
        }
        return out.stream();
    }


    static double relativeError(double a, double b) {
        return Math.abs(a - b) / Math.max(Math.max(Math.abs(a), Math.abs(b)), FLOOR);
    }

    @ParameterizedTest(name = "{0} {1} {2} loss at {3}")
    @MethodSource("cases")
    void analyticGradientsMatchFiniteDifferences(CellType cell, ForgetGate gate, LossKind kind, String positions) {
        ModelSpec spec = new ModelSpec(cell, I, H, O, gate, Precision.FLOAT64);
        PerturbingKernel.Factory kernels = new PerturbingKernel.Factory(spec.precision());
        RecurrentNetwork net = new RecurrentNetwork(spec, kernels);
        SequenceBatch batch = TestBatches.random(T, B, I, O, TestBatches.supervision(kind, positions, T), 7);
        INDArray theta = TestBatches.randomTheta(spec, 11, 0.8);
        INDArray grad = Nd4j.create(DataType.DOUBLE, theta.length());
        net.lossAndGradient(theta, batch, grad, false);
        RecurrentNetwork.Trace trace = net.trace();

        double worst = 0;
        for (int k = 0; k < theta.length(); k++) {
            final int index = k;
            double saved = theta.getDouble(k);
            double numeric = derivative(eps -> {
                theta.putScalar(index, saved + eps);
                return net.evaluate(theta, batch).loss();
            });
            theta.putScalar(k, saved);
            worst = Math.max(worst, relativeError(grad.getDouble(k), numeric));
        }
        double worstState = 0;
        for (boolean cellState : cell == CellType.LSTM ? new boolean[] {false, true} : new boolean[] {false}) {
            INDArray analytic = cellState ? trace.dc() : trace.dh();
            for (int t = 0; t < T; t++) {
                for (int b = 0; b < B; b++) {
                    for (int u = 0; u < H; u++) {
                        // ∂ℓ_b/∂state: the per-sequence loss is B·(batch loss) restricted to sequence b.
                        final int tt = t, bb = b, uu = u;
                        final boolean c = cellState;
                        double numeric = derivative(eps -> perturbedSequenceLoss(net, kernels, theta, batch,
                                new PerturbingKernel.Perturbation(c, tt, bb, uu, eps)));
                        worstState = Math.max(worstState, relativeError(analytic.getDouble((long) t * B + b, u), numeric));
                    }
                }
            }
        }
        System.out.printf("%s %s %s %s: max rel error params %.2e, states %.2e%n", cell, gate, kind, positions,
                worst, worstState);
        assertTrue(worst < TOLERANCE, "parameter gradient max relative error " + worst);
        assertTrue(worstState < TOLERANCE, "state gradient max relative error " + worstState);
    }

    /** Fourth-order central difference of f at 0. */
    static double derivative(java.util.function.DoubleUnaryOperator f) {
        return (-f.applyAsDouble(2 * EPS) + 8 * f.applyAsDouble(EPS) - 8 * f.applyAsDouble(-EPS)
                + f.applyAsDouble(-2 * EPS)) / (12 * EPS);
    }

    /** ℓ_b of the perturbed sequence b, from a network running on {@code kernels}. */
    static double perturbedSequenceLoss(RecurrentNetwork net, PerturbingKernel.Factory kernels, INDArray theta,
                                        SequenceBatch batch, PerturbingKernel.Perturbation perturbation) {
        kernels.set(perturbation);
        try {
            return net.lossAndGradient(theta, batch, Nd4j.create(DataType.DOUBLE, theta.length()), false)
                    .sequenceLosses()[perturbation.sequence()];
        } finally {
            kernels.set(null);
        }
    }
}
