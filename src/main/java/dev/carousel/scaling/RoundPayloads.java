package dev.carousel.scaling;

import dev.carousel.optim.OptimizerState;
import dev.carousel.optim.Optimizers;
import dev.carousel.train.LocalSteps;
import dev.carousel.train.RunSetup;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The parts of {@link ScalingModel.Round} a config determines: the round input's and a partition result's sizes,
 * and one round's compute, timed on this machine.
 */
public final class RoundPayloads {
    /** Serialisation's own bytes per array and per result, and the config text: a few kilobytes at most. */
    static final long FRAMING_BYTES = 8L << 10;

    private RoundPayloads() {}

    /** Bytes of a round input: θ and every optimiser state buffer in the model's precision, and the config. */
    public static long inputBytes(RunSetup setup) {
        long params = setup.spec().layout().count();
        long elementBytes = setup.spec().precision().dataType().width();
        return params * elementBytes * (1 + stateBuffers(setup)) + FRAMING_BYTES;
    }

    /**
     * Bytes of one partition's result for a round of {@code localSteps}: the sums of θ and every optimiser state
     * buffer, in float64 whatever the precision, and a loss and gradient norm per step; statistics, on the rounds
     * that probe, come on top.
     */
    public static long resultBytes(RunSetup setup, int localSteps) {
        long params = setup.spec().layout().count();
        return 8L * params * (1 + stateBuffers(setup)) + 16L * localSteps + FRAMING_BYTES;
    }

    /** The optimiser's state buffers, counted on a one-element θ: which buffers it keeps does not depend on P. */
    private static int stateBuffers(RunSetup setup) {
        INDArray one = Nd4j.create(setup.spec().precision().dataType(), 1);
        return Optimizers.create(setup.config().optimizer()).newState(one).names().size();
    }

    /**
     * Seconds of one round of {@code localSteps} training steps of {@code setup} on one thread of this JVM, on
     * partition 0's batches: rounds run untimed until {@code warmSeconds} have passed (HotSpot compiles the passes
     * meanwhile; a cold JVM's first steps are several times slower), then the median of {@code rounds} timed ones.
     */
    public static double timeRound(RunSetup setup, int localSteps, double warmSeconds, int rounds) {
        if (localSteps < 1 || rounds < 1 || !(warmSeconds >= 0)) {
            throw new IllegalArgumentException("local steps and rounds must be at least 1, warm-up seconds at least 0");
        }
        try (LocalSteps steps = new LocalSteps(setup)) {
            INDArray theta = setup.initialParameters();
            OptimizerState state = steps.optimizer().newState(theta);
            long update = 0;
            long warmEnd = System.nanoTime() + (long) (warmSeconds * 1e9);
            while (System.nanoTime() < warmEnd) {
                steps.run(theta, state, u -> setup.trainingBatch(0, u), update, localSteps);
                update += localSteps;
            }
            double[] seconds = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                steps.run(theta, state, u -> setup.trainingBatch(0, u), update, localSteps);
                seconds[r] = (System.nanoTime() - t0) / 1e9;
                update += localSteps;
            }
            Arrays.sort(seconds);
            return seconds[rounds / 2];
        }
    }
}
