package dev.carousel.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A pass split across c threads: bit-identical run to run for a given c, equal to one thread's within rounding
 * (1e-12 relative in float64, 1e-5 in float32), and refused where it cannot be exact (dwh_step, fewer sequences
 * than threads).
 */
class SplitBatchNetworkTest {
    private static final int T = 9;
    private static final int I = 3;
    private static final int H = 6;
    private static final int O = 2;

    @ParameterizedTest(name = "{0} {1}, B={2}, c={3}, loss at {4}")
    @CsvSource({"LSTM, FLOAT64, 7, 2, every", "LSTM, FLOAT64, 8, 3, last", "RNN, FLOAT64, 5, 2, last",
            "LSTM, FLOAT32, 9, 2, last"})
    void equalsOneThreadWithinRoundingAndItselfBitForBit(CellType cell, Precision precision, int b, int c, String at) {
        ModelSpec spec = new ModelSpec(cell, I, H, O, new ForgetGate.Learned(1.0), precision);
        SequenceBatch batch = TestBatches.random(T, b, I, O, TestBatches.supervision(LossKind.MSE, at, T), 21);
        INDArray theta = TestBatches.randomTheta(spec, 5, 0.5);
        Set<Probe> probes = EnumSet.complementOf(EnumSet.of(Probe.DWH_STEP));
        INDArray one = Nd4j.create(theta.dataType(), theta.length());
        RecurrentNetwork.Result single = new RecurrentNetwork(spec).lossAndGradient(theta, batch, one, probes);
        INDArray g1 = Nd4j.create(theta.dataType(), theta.length());
        INDArray g2 = Nd4j.create(theta.dataType(), theta.length());
        RecurrentNetwork.Result r1;
        RecurrentNetwork.Result r2;
        try (SplitBatchNetwork a = new SplitBatchNetwork(spec, c); SplitBatchNetwork z = new SplitBatchNetwork(spec, c)) {
            a.lossAndGradient(theta, batch, g1, probes); // a second pass on the same networks must not differ
            r1 = a.lossAndGradient(theta, batch, g1, probes);
            r2 = z.lossAndGradient(theta, batch, g2, probes);
        }
        assertArrayEquals(g1.toDoubleVector(), g2.toDoubleVector(), 0.0, "bit-identical for a given c");
        assertEquals(Double.doubleToLongBits(r1.loss()), Double.doubleToLongBits(r2.loss()));
        double tol = precision == Precision.FLOAT64 ? 1e-12 : 1e-5;
        close(one.toDoubleVector(), g1.toDoubleVector(), tol, "gradient");
        close(single.sequenceLosses(), r1.sequenceLosses(), tol, "sequence losses");
        assertEquals(single.loss(), r1.loss(), tol * Math.abs(single.loss()));
        assertEquals(single.probes().values().keySet(), r1.probes().values().keySet());
        for (Probe p : single.probes().values().keySet()) {
            double[] want = single.probes().get(p);
            double[] got = r1.probes().get(p);
            assertArrayEquals(r2.probes().get(p), got, 0.0, p.key() + " bit-identical for a given c");
            for (int k = 0; k < want.length; k++) {
                if (Double.isFinite(want[k])) {
                    assertEquals(want[k], got[k], precision == Precision.FLOAT64 ? 1e-10 : 1e-4, p.key() + "[" + k + "]");
                } else {
                    assertEquals(want[k], got[k], p.key() + "[" + k + "]");
                }
            }
        }
    }

    @Test
    void refusesWhatCannotBeSplitExactly() {
        ModelSpec spec = new ModelSpec(CellType.LSTM, I, H, O, new ForgetGate.Learned(1.0), Precision.FLOAT64);
        INDArray theta = TestBatches.randomTheta(spec, 5, 0.5);
        INDArray grad = Nd4j.create(theta.dataType(), theta.length());
        try (SplitBatchNetwork net = new SplitBatchNetwork(spec, 3)) {
            SequenceBatch two = TestBatches.random(T, 2, I, O, TestBatches.supervision(LossKind.MSE, "last", T), 1);
            assertThrows(IllegalArgumentException.class, () -> net.lossAndGradient(theta, two, grad, Set.of()));
            SequenceBatch six = TestBatches.random(T, 6, I, O, TestBatches.supervision(LossKind.MSE, "last", T), 1);
            assertThrows(IllegalArgumentException.class,
                    () -> net.lossAndGradient(theta, six, grad, EnumSet.of(Probe.DH, Probe.DWH_STEP)));
        }
        assertThrows(IllegalArgumentException.class, () -> new SplitBatchNetwork(spec, 1));
    }

    @Test
    void paysOnlyForLargeChunks() {
        ModelSpec small = new ModelSpec(CellType.LSTM, 2, 128, 1, new ForgetGate.Learned(1.0), Precision.FLOAT32);
        ModelSpec large = new ModelSpec(CellType.LSTM, 512, 1024, 1, new ForgetGate.Learned(1.0), Precision.FLOAT32);
        assertFalse(SplitBatchNetwork.pays(large, 64, 1), "one thread");
        assertFalse(SplitBatchNetwork.pays(large, 1, 2), "fewer sequences than threads");
        assertTrue(SplitBatchNetwork.pays(large, 64, 2));
        assertEquals((long) 32 * 512 * (2 + 128) >= SplitBatchNetwork.MIN_CHUNK_WORK, SplitBatchNetwork.pays(small, 64, 2));
    }

    private static void close(double[] want, double[] got, double tol, String what) {
        assertEquals(want.length, got.length);
        double scale = 0;
        for (double w : want) {
            scale = Math.max(scale, Math.abs(w));
        }
        for (int k = 0; k < want.length; k++) {
            assertEquals(want[k], got[k], tol * Math.max(scale, 1e-300), what + "[" + k + "]");
        }
    }
}
