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
        // B = 1, T = 1, I = 2, H = 3, O = 1, P = 1: workspace 1·(2 + 24 + 15 + 1) + 2·3 + (2 + 6 + 1) + 2 = 59;
        // parameters (2 + 3 + 1)·12 + 3 + 1 = 76, seven copies (θ, ∂θ, m, v, undo θ, m, v) 532; float32: 4·(59 + 532)
        assertEquals(4L * (59 + 532), MemoryEstimate.offHeapBytes(lstm(Precision.FLOAT32), 1, 1, 1));
        assertEquals(2 * MemoryEstimate.offHeapBytes(lstm(Precision.FLOAT32), 1, 1, 1),
                MemoryEstimate.offHeapBytes(lstm(Precision.FLOAT64), 1, 1, 1));
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
