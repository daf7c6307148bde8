package dev.carousel.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CopyTaskTest {

    @Test
    void shapesAndSupervision() {
        CopyTask task = new CopyTask(30);
        assertEquals("copy", task.name());
        assertEquals(30, task.delay());
        assertEquals(50, task.sequenceLength());
        assertEquals(10, task.inputSize());
        assertEquals(10, task.outputSize());
        assertEquals(Supervision.everyStep(LossKind.CROSS_ENTROPY, 50), task.supervision());
        SequenceBatch batch = task.batch(1, Split.TRAIN, 0, 0, 4);
        assertEquals(50 * 4 * 10, batch.inputs().length);
        assertEquals(50 * 4 * 10, batch.targets().length);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 30, 100})
    void layoutIsSymbolsBlanksDelimiterBlanksAndTargetsRepeatTheSymbols(int delay) {
        CopyTask task = new CopyTask(delay);
        int steps = delay + 20;
        SequenceBatch batch = task.batch(7, Split.VALIDATION, 2, 3, 10);
        for (int b = 0; b < 10; b++) {
            double[][] x = TestRows.inputs(batch, b);
            double[][] y = TestRows.targets(batch, b);
            int[] in = new int[steps];
            int[] out = new int[steps];
            for (int t = 0; t < steps; t++) {
                in[t] = TestRows.oneHot(x[t]);
                out[t] = TestRows.oneHot(y[t]);
            }
            for (int t = 0; t < 10; t++) {
                assertTrue(in[t] >= 0 && in[t] <= 7, "step " + t + " holds a data symbol, got " + in[t]);
            }
            for (int t = 10; t < delay + 9; t++) {
                assertEquals(8, in[t], "T-1 blanks at step " + t);
            }
            assertEquals(9, in[delay + 9], "delimiter at step T+9");
            for (int t = delay + 10; t < steps; t++) {
                assertEquals(8, in[t], "trailing blank at step " + t);
            }
            for (int t = 0; t < delay + 10; t++) {
                assertEquals(8, out[t], "blank target at step " + t);
            }
            for (int k = 0; k < 10; k++) {
                assertEquals(in[k], out[delay + 10 + k], "copied symbol " + k);
            }
        }
    }

    @Test
    void everyDataSymbolIsDrawnAndNoOther() {
        int[] counts = new int[10];
        SequenceBatch batch = new CopyTask(1).batch(11, Split.TRAIN, 0, 0, 200);
        for (int b = 0; b < 200; b++) {
            double[][] x = TestRows.inputs(batch, b);
            for (int t = 0; t < 10; t++) {
                counts[TestRows.oneHot(x[t])]++;
            }
        }
        for (int s = 0; s < 8; s++) {
            assertTrue(counts[s] > 0, "symbol " + s + " never drawn");
        }
        assertEquals(0, counts[8] + counts[9], "blank or delimiter among the data symbols");
    }

    /**
     * The memoryless predictor: probability 1 on blank for the first T+10 steps, 1/8 on each data symbol
     * for the last 10. Its cross-entropy −Σ_o target_o ln p_o is 0 on the blank steps only if those targets
     * really are blank (else ln 0 = −∞) and ln 8 on the copy steps only if those targets are data symbols.
     */
    @ParameterizedTest
    @ValueSource(ints = {30, 100})
    void memorylessPredictorScoresTheBaseline(int delay) {
        CopyTask task = new CopyTask(delay);
        int steps = task.sequenceLength();
        double[][] p = new double[steps][10];
        for (int t = 0; t < steps; t++) {
            if (t < delay + 10) {
                p[t][8] = 1.0;
            } else {
                for (int s = 0; s < 8; s++) {
                    p[t][s] = 1.0 / 8.0;
                }
            }
        }
        int[] lossSteps = task.supervision().steps();
        int n = 0;
        double total = 0;
        for (int k = 0; k < 5; k++) {
            SequenceBatch batch = task.batch(99, Split.TRAIN, 0, k, 40);
            for (int b = 0; b < 40; b++) {
                double seqLoss = 0;
                for (int t : lossSteps) {
                    for (int o = 0; o < 10; o++) {
                        double target = batch.target(t, b, o);
                        if (target != 0) { // 0 · ln 0 = 0
                            seqLoss -= target * Math.log(p[t][o]);
                        }
                    }
                }
                total += seqLoss / lossSteps.length; // per-sequence loss: mean over the loss steps
                n++;
            }
        }
        double mean = total / n;
        assertEquals(10 * Math.log(8) / (delay + 20), mean, 1e-12);
        assertEquals(task.trivialBaseline(), mean, 1e-12);
    }

    @Test
    void baselineNumbersFromTheLiterature() {
        assertEquals(0.4159, new CopyTask(30).trivialBaseline(), 0.5e-4);
        assertEquals(0.1733, new CopyTask(100).trivialBaseline(), 0.5e-4);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void rejectsTooShortDelay(int delay) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CopyTask(delay));
        assertTrue(e.getMessage().contains("delay T must be in [1, "), e.getMessage());
        assertTrue(e.getMessage().contains("got " + delay), e.getMessage());
    }
}
