package dev.carousel.data;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * The temporal order problem, Hochreiter &amp; Schmidhuber 1997, experiment 6a: classify a sequence by the
 * order of two relevant symbols, each X or Y, hidden among distractors.
 *
 * <p>Alphabet one-hot in the order {E, B, a, b, c, d, X, Y} (indices {@link #E} .. {@link #Y}). Shapes, for
 * length T: inputs [T, B, 8], targets [T, B, 4].
 * <ul>
 *   <li>step 0 is E, step T−1 is B;</li>
 *   <li>one step t1 drawn uniformly from [round(0.1T), round(0.2T)] and one t2 from [round(0.5T),
 *       round(0.6T)] (rounding half up) each hold X or Y with probability 1/2; at T = 100 these are the
 *       paper's [10, 20] and [50, 60];</li>
 *   <li>every other step holds a distractor drawn uniformly from {a, b, c, d};</li>
 *   <li>target: one-hot class at the last step only (softmax cross-entropy), XX→0, XY→1, YX→2, YY→3;
 *       target rows at other steps are 0 and never read.</li>
 * </ul>
 * The paper draws each sequence's length uniformly from 100–110; here the length is fixed to T so that a
 * batch has one shape and the lag from t1 to the loss step is comparable across sequences.
 */
public final class TemporalOrderTask implements SequenceTask, Serializable {
    private static final long serialVersionUID = 1L;

    /** Smallest length: keeps the two windows disjoint and strictly between E and B. */
    public static final int MIN_LENGTH = 10;

    public static final int E = 0;
    public static final int B = 1;
    /** Distractors a, b, c, d are FIRST_DISTRACTOR .. FIRST_DISTRACTOR+3. */
    public static final int FIRST_DISTRACTOR = 2;
    public static final int X = 6;
    public static final int Y = 7;
    public static final int ALPHABET = 8;
    public static final int CLASSES = 4;

    private final int length;

    /** @param length T, the number of steps; at least {@link #MIN_LENGTH} */
    public TemporalOrderTask(int length) {
        // The upper bound keeps 6·T + 5 (window arithmetic) inside an int.
        if (length < MIN_LENGTH || length > Integer.MAX_VALUE / 6 - 1) {
            throw new IllegalArgumentException("temporal-order: length T must be in [" + MIN_LENGTH + ", "
                    + (Integer.MAX_VALUE / 6 - 1) + "], got " + length);
        }
        this.length = length;
    }

    @Override
    public String name() {
        return "temporal-order";
    }

    @Override
    public int sequenceLength() {
        return length;
    }

    @Override
    public int inputSize() {
        return ALPHABET;
    }

    @Override
    public int outputSize() {
        return CLASSES;
    }

    @Override
    public Supervision supervision() {
        return Supervision.lastStep(LossKind.CROSS_ENTROPY, length);
    }

    /** round(0.1·T), half up, in integers so that no 0.1·T rounding error can move a window edge. */
    public int firstWindowStart() {
        return tenths(1);
    }

    /** round(0.2·T). */
    public int firstWindowEnd() {
        return tenths(2);
    }

    /** round(0.5·T). */
    public int secondWindowStart() {
        return tenths(5);
    }

    /** round(0.6·T). */
    public int secondWindowEnd() {
        return tenths(6);
    }

    private int tenths(int k) {
        return (k * length + 5) / 10;
    }

    /** ln 4: the four classes are equiprobable, so the best constant predictor is uniform. */
    @Override
    public double trivialBaseline() {
        return Math.log(CLASSES);
    }

    @Override
    public String trivialBaselineDescription() {
        return "cross-entropy of the uniform predictor over the 4 equiprobable classes: ln 4 "
                + "(temporal order, Hochreiter & Schmidhuber 1997 exp. 6a)";
    }

    @Override
    public void fill(long seed, Split split, int partition, long index, SequenceBatch batch, int b) {
        SplittableRandom rng = Generation.random(seed, name(), split, partition, index);
        Generation.clearRow(this, batch, b);
        // Draw order is part of the data definition: positions, relevant symbols, then distractors.
        int t1 = rng.nextInt(firstWindowStart(), firstWindowEnd() + 1);
        int t2 = rng.nextInt(secondWindowStart(), secondWindowEnd() + 1);
        boolean firstY = rng.nextBoolean();
        boolean secondY = rng.nextBoolean();
        for (int t = 0; t < length; t++) {
            int symbol;
            if (t == 0) {
                symbol = E;
            } else if (t == length - 1) {
                symbol = B;
            } else if (t == t1) {
                symbol = firstY ? Y : X;
            } else if (t == t2) {
                symbol = secondY ? Y : X;
            } else {
                symbol = FIRST_DISTRACTOR + rng.nextInt(4);
            }
            Generation.setInput(batch, t, b, symbol, 1.0);
        }
        int label = (firstY ? 2 : 0) + (secondY ? 1 : 0); // XX→0, XY→1, YX→2, YY→3
        Generation.setTarget(batch, length - 1, b, label, 1.0);
    }

    @Override
    public String toString() {
        return "TemporalOrderTask[T=" + length + "]";
    }
}
