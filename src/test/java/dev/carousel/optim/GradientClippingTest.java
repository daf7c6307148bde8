package dev.carousel.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GradientClippingTest {

    private static final double[] G = {3.0, -4.0, 12.0, 0.5, -1e-3};

    private static double javaNorm(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    static long[] bits(INDArray a) {
        double[] d = a.toDoubleVector();
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }

    @Test
    void aboveThresholdScalesToTauKeepingDirection() {
        INDArray g = Nd4j.createFromArray(G.clone());
        double tau = 2.5;
        double norm = GradientClipping.clipByGlobalNorm(g, tau);
        double expectedNorm = javaNorm(G);
        assertEquals(expectedNorm, norm, 1e-12 * expectedNorm);
        double[] clipped = g.toDoubleVector();
        assertTrue(javaNorm(clipped) <= tau * (1 + 1e-6));
        assertEquals(tau, javaNorm(clipped), 1e-12);
        for (int i = 0; i < G.length; i++) {
            // Same direction: clipped = G · (τ/‖G‖).
            assertEquals(G[i] * tau / expectedNorm, clipped[i], 1e-15);
        }
    }

    @Test
    void belowThresholdOrDisabledLeavesGradBitIdentical() {
        double expectedNorm = javaNorm(G);
        for (double tau : new double[] {100.0, expectedNorm, 0.0}) {
            INDArray g = Nd4j.createFromArray(G.clone());
            long[] before = bits(g);
            double norm = GradientClipping.clipByGlobalNorm(g, tau);
            assertEquals(expectedNorm, norm, 1e-12 * expectedNorm);
            assertArrayEquals(before, bits(g), "tau=" + tau);
        }
    }

    @Test
    void nonFiniteNormIsReturnedAndGradUntouched() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            INDArray g = Nd4j.createFromArray(1.0, bad, 2.0);
            long[] before = bits(g);
            double norm = GradientClipping.clipByGlobalNorm(g, 1.0);
            assertTrue(!Double.isFinite(norm));
            assertArrayEquals(before, bits(g));
        }
    }

    @Test
    void float32IsClipped() {
        INDArray g = Nd4j.createFromArray(G.clone()).castTo(DataType.FLOAT);
        double norm = GradientClipping.clipByGlobalNorm(g, 1.0);
        assertEquals(javaNorm(G), norm, 1e-5);
        assertEquals(DataType.FLOAT, g.dataType());
        assertTrue(javaNorm(g.toDoubleVector()) <= 1.0 * (1 + 1e-6));
    }

    @Test
    void negativeTauIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> GradientClipping.clipByGlobalNorm(Nd4j.createFromArray(G.clone()), -1));
    }
}
