package dev.carousel.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.ConfigLoader;
import dev.carousel.optim.Adam;
import dev.carousel.optim.OptimizerState;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Divergence detection in the inner loop every trainer runs: what is caught, and what θ is left as. */
class LocalStepsTest {
    static final String CONFIG = "seed = 3\ntask { name = adding, length = 8, validation-sequences = 8 }\n"
            + "model.hidden = 4\noptimizer { name = adam, learning-rate = 0.01 }\ntraining.batch-size = 4\n";

    @Test
    void finiteChecksSeeNanAndBothInfinities() {
        RunSetup setup = RunSetup.of(ConfigLoader.parse(CONFIG, "test"));
        INDArray theta = setup.initialParameters();
        OptimizerState state = new LocalSteps(setup).optimizer().newState(theta);
        assertTrue(LocalSteps.finite(theta, state));
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            INDArray t = theta.dup();
            t.putScalar(t.length() - 1, bad);
            assertFalse(LocalSteps.finite(t, state), "θ holding " + bad);
            OptimizerState s = state.copy();
            s.get(Adam.V).putScalar(0, bad);
            assertFalse(LocalSteps.finite(theta, s), "state holding " + bad);
        }
    }

    /**
     * An update whose loss and gradient are finite but whose result is not: Adam's bias-corrected first
     * moment m̂ = m / (1 − β1) overflows float32 when m is near its maximum (a corrupted state, e.g. from a
     * bad checkpoint), so θ − lr·m̂ / (√v̂ + ε) is −∞. The update is reported as the divergence and undone.
     */
    @Test
    void anUpdateThatOverflowsTheParametersIsCaughtAndUndone() {
        RunSetup setup = RunSetup.of(ConfigLoader.parse(CONFIG, "test"));
        LocalSteps steps = new LocalSteps(setup);
        BatchSource source = index -> setup.trainingBatch(0, index);
        INDArray theta = setup.initialParameters();
        OptimizerState state = steps.optimizer().newState(theta);
        LocalSteps.Outcome clean = steps.run(theta, state, source, 0, 2); // two good updates first
        assertEquals(-1, clean.divergedAt());

        state.get(Adam.M).putScalar(0, Float.MAX_VALUE);
        double[] thetaBefore = theta.data().asDouble();
        double[] mBefore = state.get(Adam.M).data().asDouble();
        double[] vBefore = state.get(Adam.V).data().asDouble();
        LocalSteps.Outcome o = steps.run(theta, state, source, 2, 3);

        assertEquals(2, o.divergedAt(), "the first update after the corruption");
        assertEquals(0, o.steps(), "no update applied");
        assertArrayEquals(thetaBefore, theta.data().asDouble(), 0.0, "θ is left as the last finite update made it");
        assertArrayEquals(mBefore, state.get(Adam.M).data().asDouble(), 0.0, "m restored");
        assertArrayEquals(vBefore, state.get(Adam.V).data().asDouble(), 0.0, "v restored");
        assertEquals(2, state.step(), "step count restored");
    }
}
