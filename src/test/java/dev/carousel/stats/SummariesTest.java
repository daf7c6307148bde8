package dev.carousel.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one-number summaries on profiles whose answer is known. */
class SummariesTest {
    @Test
    void decayRateOfAGeometricProfileIsItsLog10Factor() {
        double[] lags = new double[40];
        double[] log10 = new double[40];
        for (int k = 0; k < 40; k++) {
            lags[k] = k;
            log10[k] = -0.5 + k * Math.log10(0.8);
        }
        assertEquals(Math.log10(0.8), Summaries.decayRate(lags, log10), 1e-12);
    }

    @Test
    void decayRateIgnoresAFewBentLags() {
        // A plateau at the first three lags and a floor at the last three bend a least-squares fit; the median of
        // the pairwise slopes stays on the geometric part.
        double[] lags = new double[50];
        double[] log10 = new double[50];
        for (int k = 0; k < 50; k++) {
            lags[k] = k;
            log10[k] = k < 3 ? 0 : k >= 47 ? -30 : -0.1 * k;
        }
        assertEquals(-0.1, Summaries.decayRate(lags, log10), 0.01);
        assertTrue(Double.isNaN(Summaries.decayRate(new double[] {3}, new double[] {1})), "one lag has no slope");
    }

    @Test
    void memoryLengthIsTheFirstLagTwoDecadesDown() {
        double[] lags = {0, 1, 2, 3, 4, 5};
        assertEquals(4, Summaries.memoryLength(lags, new double[] {-1, -1.5, -2, -2.9, -3.0, -4}));
        assertEquals(-1, Summaries.memoryLength(lags, new double[] {-1, -1.1, -1.2, -1.3, -1.4, -1.5}), "never: −1");
        assertEquals(-1, Summaries.memoryLength(new double[0], new double[0]));
    }

    @Test
    void updatesToTargetIsTheFirstEvaluationBelowIt() {
        long[] updates = {0, 100, 200, 300};
        double[] losses = {0.17, 0.06, 0.04, 0.01};
        assertEquals(200, Summaries.updatesToTarget(updates, losses, 0.05));
        assertEquals(-1, Summaries.updatesToTarget(updates, losses, 0.005));
        assertEquals(0.01, Summaries.bestLoss(new double[] {0.17, Double.NaN, 0.01, 0.02}), 0);
    }
}
