package dev.carousel.data;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * The adding problem, variant A2 (Arjovsky et al. 2016; Le et al. 2015; Tallec &amp; Ollivier 2018).
 * Not Hochreiter &amp; Schmidhuber's A1 (values in [−1,1], target 0.5 + (X1+X2)/4): the two variants'
 * losses are not comparable.
 *
 * <p>Shapes, for length T: inputs [T, B, 2], targets [T, B, 1].
 * <ul>
 *   <li>input channel 0: values drawn from U[0,1);</li>
 *   <li>input channel 1: marker, 1 at exactly one step drawn uniformly from the first half [0, ⌊T/2⌋) and
 *       at one drawn uniformly from the second half [⌊T/2⌋, T), 0 elsewhere;</li>
 *   <li>target: the sum of the two marked values at the last step T−1 (the only loss step, MSE);
 *       target rows at other steps are 0 and never read.</li>
 * </ul>
 * The first marked value lies at least ⌈T/2⌉ steps before the loss step, so solving the task needs memory
 * over half the sequence.
 */
public final class AddingTask implements SequenceTask, Serializable {
    private static final long serialVersionUID = 1L;

    /** Smallest length: each half must hold one step. */
    public static final int MIN_LENGTH = 2;

    private final int length;

    /** @param length T, the number of steps; at least {@link #MIN_LENGTH} */
    public AddingTask(int length) {
        if (length < MIN_LENGTH) {
            throw new IllegalArgumentException("adding: length T must be >= " + MIN_LENGTH
                    + " (one marker in each half), got " + length);
        }
        this.length = length;
    }

    @Override
    public String name() {
        return "adding";
    }

    @Override
    public int sequenceLength() {
        return length;
    }

    @Override
    public int inputSize() {
        return 2;
    }

    @Override
    public int outputSize() {
        return 1;
    }

    @Override
    public Supervision supervision() {
        return Supervision.lastStep(LossKind.MSE, length);
    }

    /** 1/6: the constant 1 is E[X1+X2], so its MSE is Var(X1+X2) = 2·(1/12). */
    @Override
    public double trivialBaseline() {
        return 1.0 / 6.0;
    }

    /** 0.05, the threshold of the literature (Arjovsky et al. 2016; Tallec &amp; Ollivier 2018): 0.3 × 1/6. */
    @Override
    public double targetLoss() {
        return 0.05;
    }

    @Override
    public String trivialBaselineDescription() {
        return "MSE of always predicting 1 = E[X1+X2]: Var(X1+X2) = 2/12 = 1/6 for X1, X2 ~ U[0,1] "
                + "(adding A2, Arjovsky et al. 2016)";
    }

    @Override
    public void fill(long seed, Split split, int partition, long index, SequenceBatch batch, int b) {
        SplittableRandom rng = Generation.random(seed, name(), split, partition, index);
        Generation.clearRow(this, batch, b);
        int half = length / 2;
        // Draw order is part of the data definition: values first, then the two marker positions.
        double[] values = new double[length];
        for (int t = 0; t < length; t++) {
            values[t] = rng.nextDouble();
            Generation.setInput(batch, t, b, 0, values[t]);
        }
        int first = rng.nextInt(0, half);
        int second = rng.nextInt(half, length);
        Generation.setInput(batch, first, b, 1, 1.0);
        Generation.setInput(batch, second, b, 1, 1.0);
        Generation.setTarget(batch, length - 1, b, 0, values[first] + values[second]);
    }

    @Override
    public String toString() {
        return "AddingTask[A2, T=" + length + "]";
    }
}
