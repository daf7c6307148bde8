package dev.carousel.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The memory formula's arithmetic: exact small cases, precision scaling, and maxSteps as its inverse. */
class MemoryEstimateTest {
    static ModelSpec lstm(Precision p) {
        return new ModelSpec(CellType.LSTM, 2, 3, 1, new ForgetGate.Learned(1.0), p);
    }

    @Test
    void smallLstmByHand() {
        // B = 1, T = 2, I = 2, H = 3, O = 1, P = 1: workspace 2·(2 + 24 + 15 + 1) + 2·3 + (2 + 6 + 1) + 2 = 101;
        // parameters (2 + 3 + 1)·12 + 3 + 1 = 76, seven copies (θ, ∂θ, m, v, undo θ, m, v) 532; float32: 4·(101 + 532)
        assertEquals(4L * (101 + 532), MemoryEstimate.offHeapBytes(lstm(Precision.FLOAT32), 1, 2, 1));
        assertEquals(2 * MemoryEstimate.offHeapBytes(lstm(Precision.FLOAT32), 1, 2, 1),
                MemoryEstimate.offHeapBytes(lstm(Precision.FLOAT64), 1, 2, 1));
        // T = 1 = P: every step has a loss, so h_P and δh_P (2·P·B·H = 6) are hs's rows, not buffers of their own.
        assertEquals(4L * (101 - 42 - 6 + 532), MemoryEstimate.offHeapBytes(lstm(Precision.FLOAT32), 1, 1, 1));
        // The validation network: x, z, h, c, tanh c per row (2 + 12 + 9), no δz, δh, δc, ones, no parameters.
        assertEquals(4L * (2 * (2 + 12 + 9) + 6 + 9 + 2), MemoryEstimate.evaluationOffHeapBytes(lstm(Precision.FLOAT32), 1, 2, 1));
    }

    /**
     * With a loss at P steps, T = P needs no h_P buffers and T = P + 1 does: the bytes are not monotone below P, and
     * T < P is no configuration. The search starts at T = P.
     */
    @Test
    void maxStepsWithManyLossStepsStartsAtThem() {
        ModelSpec spec = new ModelSpec(CellType.LSTM, 1, 128, 1, new ForgetGate.Learned(1.0), Precision.FLOAT32);
        long budget = MemoryEstimate.offHeapBytes(spec, 64, 100, 100);
        assertEquals(100, MemoryEstimate.maxSteps(spec, 64, 100, budget));
        assertEquals(0, MemoryEstimate.maxSteps(spec, 64, 100, budget - 1));
        long roomier = MemoryEstimate.offHeapBytes(spec, 64, 150, 100);
        assertEquals(150, MemoryEstimate.maxSteps(spec, 64, 100, roomier));
    }

    @Test
    void maxStepsCountsTheValidationNetwork() {
        ModelSpec spec = new ModelSpec(CellType.LSTM, 2, 128, 1, new ForgetGate.Learned(1.0), Precision.FLOAT32);
        long budget = 1L << 30;
        int t = MemoryEstimate.maxSteps(spec, 64, 250, 1, budget);
        assertTrue(t > 0 && t < MemoryEstimate.maxSteps(spec, 64, 1, budget));
        assertTrue(MemoryEstimate.offHeapBytes(spec, 64, t, 1) + MemoryEstimate.evaluationOffHeapBytes(spec, 250, t, 1) <= budget);
        assertTrue(MemoryEstimate.offHeapBytes(spec, 64, t + 1, 1) + MemoryEstimate.evaluationOffHeapBytes(spec, 250, t + 1, 1) > budget);
    }

    @Test
    void maxStepsIsTheLargestFittingT() {
        ModelSpec spec = new ModelSpec(CellType.LSTM, 2, 128, 1, new ForgetGate.Learned(1.0), Precision.FLOAT32);
        long budget = 1L << 30;
        int t = MemoryEstimate.maxSteps(spec, 64, 1, budget);
        assertTrue(t > 0);
        assertTrue(MemoryEstimate.offHeapBytes(spec, 64, t, 1) <= budget);
        assertTrue(MemoryEstimate.offHeapBytes(spec, 64, t + 1, 1) > budget);
        assertEquals(0, MemoryEstimate.maxSteps(spec, 64, 1, 1000));
    }
}
