package dev.carousel.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.CarouselConfig.OptimizerKind;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Optimiser arithmetic against plain-Java reference values (float64), convergence, determinism, float32. */
class OptimizersTest {

    private static final double[] THETA0 = {0.5, -1.25, 2.0, 0.0};
    private static final double[] G1 = {0.3, -0.7, 1e-3, 0.0};
    private static final double[] G2 = {-0.2, 0.4, 5.0, -2.5};

    private static INDArray f64(double... x) {
        return Nd4j.createFromArray(x.clone());
    }

    /** Applies G1 then G2, returning θ after each step. */
    private static double[][] twoSteps(Optimizer opt, OptimizerState[] stateOut) {
        INDArray theta = f64(THETA0);
        OptimizerState s = opt.newState(theta);
        opt.update(theta, f64(G1), s);
        double[] after1 = theta.toDoubleVector();
        opt.update(theta, f64(G2), s);
        stateOut[0] = s;
        return new double[][] {after1, theta.toDoubleVector()};
    }

    @Test
    void sgdWithMomentumMatchesHandComputation() {
        double lr = 0.1, mu = 0.9;
        double[] th = THETA0.clone(), v = new double[4];
        double[][] expected = new double[2][];
        double[][] grads = {G1, G2};
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < 4; i++) {
                v[i] = mu * v[i] + grads[k][i];
                th[i] -= lr * v[i];
            }
            expected[k] = th.clone();
        }
        OptimizerState[] s = new OptimizerState[1];
        double[][] got = twoSteps(new Sgd(lr, mu), s);
        assertArrayEquals(expected[0], got[0], 1e-12);
        assertArrayEquals(expected[1], got[1], 1e-12);
        assertArrayEquals(v, s[0].get(Sgd.MOMENTUM).toDoubleVector(), 1e-12);
        assertEquals(2, s[0].step());
    }

    @Test
    void plainSgdKeepsNoBufferAndSubtractsLrTimesGrad() {
        double lr = 0.05;
        OptimizerState[] s = new OptimizerState[1];
        double[][] got = twoSteps(new Sgd(lr, 0.0), s);
        assertEquals(List.of(), s[0].names());
        for (int i = 0; i < 4; i++) {
            double e1 = THETA0[i] - lr * G1[i];
            assertEquals(e1, got[0][i], 1e-12);
            assertEquals(e1 - lr * G2[i], got[1][i], 1e-12);
        }
    }

    @Test
    void adamMatchesHandComputation() {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        double[] th = THETA0.clone(), m = new double[4], v = new double[4];
        double[][] expected = new double[2][];
        double[][] grads = {G1, G2};
        for (int k = 0; k < 2; k++) {
            int t = k + 1;
            for (int i = 0; i < 4; i++) {
                double g = grads[k][i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                th[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
            expected[k] = th.clone();
        }
        OptimizerState[] s = new OptimizerState[1];
        double[][] got = twoSteps(new Adam(lr, b1, b2, eps), s);
        assertArrayEquals(expected[0], got[0], 1e-12);
        assertArrayEquals(expected[1], got[1], 1e-12);
        assertArrayEquals(m, s[0].get(Adam.M).toDoubleVector(), 1e-12);
        assertArrayEquals(v, s[0].get(Adam.V).toDoubleVector(), 1e-12);
        assertEquals(2, s[0].step());
    }

    @Test
    void adamFirstStepIsAboutLrTimesSignOfGrad() {
        double lr = 1e-3;
        double[] g = {3.0, -1e-2, 250.0, -7.5};
        INDArray theta = f64(THETA0);
        Adam adam = new Adam(lr, 0.9, 0.999, 1e-8);
        adam.update(theta, f64(g), adam.newState(theta));
        double[] th = theta.toDoubleVector();
        for (int i = 0; i < g.length; i++) {
            // m̂ = g and v̂ = g² after one step, so the move is lr·g/(|g|+ε).
            assertEquals(-lr * Math.signum(g[i]), th[i] - THETA0[i], lr * 1e-5);
        }
    }

    @Test
    void rmsPropMatchesHandComputation() {
        double lr = 0.01, rho = 0.99, eps = 1e-8;
        double[] th = THETA0.clone(), ms = new double[4];
        double[][] expected = new double[2][];
        double[][] grads = {G1, G2};
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < 4; i++) {
                double g = grads[k][i];
                ms[i] = rho * ms[i] + (1 - rho) * g * g;
                th[i] -= lr * g / (Math.sqrt(ms[i]) + eps);
            }
            expected[k] = th.clone();
        }
        OptimizerState[] s = new OptimizerState[1];
        double[][] got = twoSteps(new RmsProp(lr, rho, eps), s);
        assertArrayEquals(expected[0], got[0], 1e-12);
        assertArrayEquals(expected[1], got[1], 1e-12);
        assertArrayEquals(ms, s[0].get(RmsProp.MS).toDoubleVector(), 1e-12);
        assertEquals(2, s[0].step());
    }

    // f(θ) = ½‖Aθ − y‖² with A invertible, so min f = 0; ∇f = Aᵀ(Aθ − y).
    private static final double[][] A = {{2.0, 0.5, 0.0}, {0.5, 1.0, 0.25}, {-0.3, 0.25, 1.5}};
    private static final double[] Y = {1.0, -2.0, 0.5};

    private static double loss(double[] th) {
        double f = 0;
        for (int r = 0; r < 3; r++) {
            double res = -Y[r];
            for (int c = 0; c < 3; c++) {
                res += A[r][c] * th[c];
            }
            f += 0.5 * res * res;
        }
        return f;
    }

    private static void gradient(double[] th, double[] out) {
        java.util.Arrays.fill(out, 0);
        for (int r = 0; r < 3; r++) {
            double res = -Y[r];
            for (int c = 0; c < 3; c++) {
                res += A[r][c] * th[c];
            }
            for (int c = 0; c < 3; c++) {
                out[c] += A[r][c] * res;
            }
        }
    }

    /** Runs {@code steps} updates on the quadratic from θ = 0 and returns the final loss. */
    private static double minimise(Optimizer opt, int steps, DataType type) {
        INDArray theta = Nd4j.zeros(type, 3);
        INDArray grad = Nd4j.zeros(type, 3);
        OptimizerState s = opt.newState(theta);
        double[] g = new double[3];
        for (int k = 0; k < steps; k++) {
            gradient(theta.toDoubleVector(), g);
            for (int i = 0; i < 3; i++) {
                grad.putScalar(i, g[i]);
            }
            opt.update(theta, grad, s);
        }
        return loss(theta.toDoubleVector());
    }

    @Test
    void everyOptimiserMinimisesAQuadratic() {
        double f0 = loss(new double[3]);
        assertTrue(f0 > 1, "start is far from the optimum");
        assertTrue(minimise(new Sgd(0.2, 0.0), 500, DataType.DOUBLE) < 1e-12);
        assertTrue(minimise(new Sgd(0.1, 0.9), 500, DataType.DOUBLE) < 1e-12);
        assertTrue(minimise(new Adam(0.05, 0.9, 0.999, 1e-8), 1000, DataType.DOUBLE) < 1e-10);
        // Constant-lr RMSProp has no decaying step: near the optimum |Δθ| ≈ lr, so it settles in an O(lr)
        // limit cycle (loss ≈ 1.4e-4 at lr = 0.01 here) instead of converging exactly.
        assertTrue(minimise(new RmsProp(0.01, 0.9, 1e-8), 1000, DataType.DOUBLE) < 1e-3);
    }

    @Test
    void float32Works() {
        for (Optimizer opt : List.of(new Sgd(0.1, 0.9), new Adam(0.05, 0.9, 0.999, 1e-8),
                new RmsProp(0.01, 0.9, 1e-8))) {
            INDArray theta = Nd4j.createFromArray(THETA0).castTo(DataType.FLOAT);
            OptimizerState s = opt.newState(theta);
            for (String n : s.names()) {
                assertEquals(DataType.FLOAT, s.get(n).dataType());
            }
            INDArray theta64 = f64(THETA0);
            OptimizerState s64 = opt.newState(theta64);
            for (double[] g : new double[][] {G1, G2}) {
                opt.update(theta, Nd4j.createFromArray(g).castTo(DataType.FLOAT), s);
                opt.update(theta64, f64(g), s64);
            }
            assertEquals(DataType.FLOAT, theta.dataType());
            assertArrayEquals(theta64.toDoubleVector(), theta.toDoubleVector(), 1e-5, opt.toString());
            assertTrue(minimise(opt, 1000, DataType.FLOAT) < 1e-3, opt.toString());
        }
    }

    @Test
    void sameUpdatesTwiceGiveBitIdenticalParams() {
        List<Supplier<Optimizer>> makers = List.of(() -> new Sgd(0.1, 0.9),
                () -> new Adam(0.01, 0.9, 0.999, 1e-8), () -> new RmsProp(0.01, 0.9, 1e-8));
        int p = 1000;
        for (Supplier<Optimizer> make : makers) {
            long[][] runs = new long[2][];
            for (int r = 0; r < 2; r++) {
                Optimizer opt = make.get();
                double[] th0 = new double[p];
                for (int i = 0; i < p; i++) {
                    th0[i] = -1 + 2.0 * i / (p - 1);
                }
                INDArray theta = f64(th0);
                OptimizerState s = opt.newState(theta);
                INDArray grad = Nd4j.zeros(DataType.DOUBLE, p);
                for (int k = 0; k < 20; k++) {
                    // A gradient that depends on θ, so any drift would compound.
                    grad.assign(theta).muli(Math.sin(k) + 1.5).addi(0.01 * k - 0.05);
                    opt.update(theta, grad, s);
                }
                runs[r] = GradientClippingTest.bits(theta);
            }
            assertArrayEquals(runs[0], runs[1], make.get().toString());
        }
    }

    @Test
    void mismatchedGradientIsRejected() {
        Adam adam = new Adam(0.01, 0.9, 0.999, 1e-8);
        INDArray theta = f64(THETA0);
        OptimizerState s = adam.newState(theta);
        assertThrows(IllegalArgumentException.class, () -> adam.update(theta, f64(1, 2, 3), s));
        assertThrows(IllegalArgumentException.class,
                () -> adam.update(theta, f64(G1).castTo(DataType.FLOAT), s));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0.1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new RmsProp(-0.1, 0.9, 1e-8));
    }

    @Test
    void factoryBuildsTheConfiguredKind() {
        assertInstanceOf(Sgd.class, Optimizers.create(cfg(OptimizerKind.SGD)));
        assertInstanceOf(Adam.class, Optimizers.create(cfg(OptimizerKind.ADAM)));
        assertInstanceOf(RmsProp.class, Optimizers.create(cfg(OptimizerKind.RMSPROP)));
        Sgd sgd = (Sgd) Optimizers.create(cfg(OptimizerKind.SGD));
        assertEquals(0.01, sgd.learningRate());
        assertEquals(0.9, sgd.momentum());
    }

    private static CarouselConfig.Optimizer cfg(OptimizerKind kind) {
        return new CarouselConfig.Optimizer(kind, 0.01, 0.9, 0.9, 0.999, 1e-8, 0.99, 1.0);
    }
}
