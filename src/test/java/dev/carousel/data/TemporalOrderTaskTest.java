package dev.carousel.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TemporalOrderTaskTest {
    private static final int E = 0, B = 1, X = 6, Y = 7;

    @Test
    void shapesAndSupervision() {
        TemporalOrderTask task = new TemporalOrderTask(100);
        assertEquals("temporal-order", task.name());
        assertEquals(100, task.sequenceLength());
        assertEquals(8, task.inputSize());
        assertEquals(4, task.outputSize());
        assertEquals(Supervision.lastStep(LossKind.CROSS_ENTROPY, 100), task.supervision());
        SequenceBatch batch = task.batch(1, Split.TRAIN, 0, 0, 3);
        assertEquals(100 * 3 * 8, batch.inputs().length);
        assertEquals(100 * 3 * 4, batch.targets().length);
    }

    @Test
    void windowsAtOneHundredAreThePapers() {
        TemporalOrderTask task = new TemporalOrderTask(100);
        assertEquals(10, task.firstWindowStart());
        assertEquals(20, task.firstWindowEnd());
        assertEquals(50, task.secondWindowStart());
        assertEquals(60, task.secondWindowEnd());
    }

    @Test
    void windowsAreRoundedTenthsOfT() {
        for (int length = 10; length <= 2000; length++) {
            TemporalOrderTask task = new TemporalOrderTask(length);
            // Exact decimal rounding, half up, as reference for the integer arithmetic.
            assertEquals(roundTenths(1, length), task.firstWindowStart(), "T=" + length);
            assertEquals(roundTenths(2, length), task.firstWindowEnd(), "T=" + length);
            assertEquals(roundTenths(5, length), task.secondWindowStart(), "T=" + length);
            assertEquals(roundTenths(6, length), task.secondWindowEnd(), "T=" + length);
            assertTrue(task.firstWindowStart() >= 1 && task.firstWindowEnd() < task.secondWindowStart()
                    && task.secondWindowEnd() < length - 1, "windows inside (0, T-1) and disjoint at T=" + length);
        }
    }

    private static int roundTenths(int k, int length) {
        return new java.math.BigDecimal(k * length).movePointLeft(1)
                .setScale(0, java.math.RoundingMode.HALF_UP).intValueExact();
    }

    @ParameterizedTest
    @ValueSource(ints = {10, 11, 100, 137})
    void structure(int length) {
        TemporalOrderTask task = new TemporalOrderTask(length);
        SequenceBatch batch = task.batch(8, Split.TEST, 0, 2, 50);
        for (int b = 0; b < 50; b++) {
            double[][] x = TestRows.inputs(batch, b);
            double[][] y = TestRows.targets(batch, b);
            int[] s = new int[length];
            for (int t = 0; t < length; t++) {
                s[t] = TestRows.oneHot(x[t]);
            }
            assertEquals(E, s[0], "E first");
            assertEquals(B, s[length - 1], "B last");
            int t1 = -1;
            int t2 = -1;
            for (int t = 1; t < length - 1; t++) {
                if (s[t] == X || s[t] == Y) {
                    if (t1 < 0) {
                        t1 = t;
                    } else {
                        assertEquals(-1, t2, "more than two X/Y symbols");
                        t2 = t;
                    }
                } else {
                    assertTrue(s[t] >= 2 && s[t] <= 5, "distractor a-d at step " + t + ", got " + s[t]);
                }
            }
            assertTrue(t1 >= Math.round(0.1 * length) && t1 <= Math.round(0.2 * length), "t1=" + t1);
            assertTrue(t2 >= Math.round(0.5 * length) && t2 <= Math.round(0.6 * length), "t2=" + t2);
            int expected = (s[t1] == Y ? 2 : 0) + (s[t2] == Y ? 1 : 0);
            assertEquals(expected, TestRows.oneHot(y[length - 1]), "class of " + s[t1] + "," + s[t2]);
            for (int t = 0; t < length - 1; t++) {
                for (int o = 0; o < 4; o++) {
                    assertEquals(0.0, y[t][o], "unsupervised target rows are 0");
                }
            }
        }
    }

    @Test
    void everyPositionOfBothWindowsAndEveryDistractorIsDrawn() {
        TemporalOrderTask task = new TemporalOrderTask(100);
        boolean[] relevantAt = new boolean[100];
        int[] symbolCounts = new int[8];
        SequenceBatch batch = task.batch(4, Split.TRAIN, 0, 0, 1000);
        for (int b = 0; b < 1000; b++) {
            double[][] x = TestRows.inputs(batch, b);
            for (int t = 0; t < 100; t++) {
                int s = TestRows.oneHot(x[t]);
                symbolCounts[s]++;
                if (s == X || s == Y) {
                    relevantAt[t] = true;
                }
            }
        }
        for (int t = 0; t < 100; t++) {
            boolean inWindow = (t >= 10 && t <= 20) || (t >= 50 && t <= 60);
            assertEquals(inWindow, relevantAt[t], "X/Y at step " + t);
        }
        for (int s = 2; s <= 5; s++) {
            assertTrue(symbolCounts[s] > 0, "distractor " + s + " never drawn");
        }
    }

    /**
     * Over N = 40,000 sequences each class frequency has standard error √(¼·¾/N) ≈ 0.0022; each must be
     * within 4 of them of ¼. The uniform predictor scores −ln ¼ = ln 4 on every sequence whose last
     * target row is one-hot; the best constant predictor (the empirical frequencies) scores their
     * entropy, which must be within 1e-3 of ln 4 (its bias is about 3/(2N) ≈ 4e-5).
     */
    @Test
    void classesAreUniformAndTheUniformPredictorScoresLnFour() {
        TemporalOrderTask task = new TemporalOrderTask(20);
        int n = 40_000;
        int perBatch = 1000;
        int[] counts = new int[4];
        double worst = 0; // largest |per-sequence loss − ln 4|: summing 40,000 losses would itself err by ~1e-12
        for (int k = 0; k < n / perBatch; k++) {
            SequenceBatch batch = task.batch(77, Split.TRAIN, 3, k, perBatch);
            for (int b = 0; b < perBatch; b++) {
                double uniformLoss = 0;
                for (int o = 0; o < 4; o++) {
                    double target = batch.target(19, b, o);
                    if (target != 0) { // 0 · ln p = 0
                        uniformLoss -= target * Math.log(0.25);
                    }
                }
                worst = Math.max(worst, Math.abs(uniformLoss - task.trivialBaseline()));
                counts[TestRows.oneHot(TestRows.targets(batch, b)[19])]++;
            }
        }
        double tolerance = 4 * Math.sqrt(0.25 * 0.75 / n);
        double entropy = 0;
        for (int c = 0; c < 4; c++) {
            double f = counts[c] / (double) n;
            assertEquals(0.25, f, tolerance, "frequency of class " + c);
            entropy -= f * Math.log(f);
        }
        assertEquals(0.0, worst, 1e-12, "uniform predictor's loss vs ln 4");
        assertEquals(Math.log(4), task.trivialBaseline(), 0.0);
        assertEquals(task.trivialBaseline(), entropy, 1e-3);
    }

    @ParameterizedTest
    @ValueSource(ints = {9, 0, -1})
    void rejectsTooShort(int length) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TemporalOrderTask(length));
        assertTrue(e.getMessage().contains("length T must be in [10, "), e.getMessage());
        assertTrue(e.getMessage().contains("got " + length), e.getMessage());
    }
}
