package dev.carousel.data;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * The copy memory task (Arjovsky et al. 2016, §4.1): remember 10 symbols over a delay of T steps and
 * reproduce them after a delimiter.
 *
 * <p>Alphabet of {@value #ALPHABET}: symbols 0–7 are data, {@value #BLANK} is blank, {@value #DELIMITER}
 * is the delimiter. Shapes, for delay T: inputs [T+20, B, 10] and targets [T+20, B, 10], every row one-hot.
 * <pre>
 *   step     0..9         10..T+8       T+9         T+10..T+19
 *   input    s_0..s_9     blank (T−1)   delimiter   blank (10)
 *   target   blank        blank         blank       s_0..s_9
 * </pre>
 * with s_k drawn uniformly from 0–7. Loss: softmax cross-entropy at every step, averaged over the
 * T+20 steps, as in Arjovsky et al.
 */
public final class CopyTask implements SequenceTask, Serializable {
    private static final long serialVersionUID = 1L;

    /** Smallest delay: T−1 = 0 blanks between the symbols and the delimiter. */
    public static final int MIN_DELAY = 1;
    /** Number of symbols to copy. */
    public static final int COPY_LENGTH = 10;
    /** Data symbols are 0 .. DATA_SYMBOLS−1. */
    public static final int DATA_SYMBOLS = 8;
    public static final int BLANK = 8;
    public static final int DELIMITER = 9;
    /** One-hot width of inputs and targets. */
    public static final int ALPHABET = 10;

    private final int delay;

    /** @param delay T, the delay; the sequence has T+20 steps; at least {@link #MIN_DELAY} */
    public CopyTask(int delay) {
        if (delay < MIN_DELAY || delay > Integer.MAX_VALUE - 2 * COPY_LENGTH) {
            throw new IllegalArgumentException("copy: delay T must be in [" + MIN_DELAY + ", "
                    + (Integer.MAX_VALUE - 2 * COPY_LENGTH) + "] (sequence length T+20), got " + delay);
        }
        this.delay = delay;
    }

    @Override
    public String name() {
        return "copy";
    }

    /** The delay T (not the sequence length, which is T+20). */
    public int delay() {
        return delay;
    }

    @Override
    public int sequenceLength() {
        return delay + 2 * COPY_LENGTH;
    }

    @Override
    public int inputSize() {
        return ALPHABET;
    }

    @Override
    public int outputSize() {
        return ALPHABET;
    }

    @Override
    public Supervision supervision() {
        return Supervision.everyStep(LossKind.CROSS_ENTROPY, sequenceLength());
    }

    /**
     * 10·ln 8 / (T+20): the memoryless predictor is certain of blank for the first T+10 steps (loss 0)
     * and uniform over the 8 data symbols for the last 10 (loss ln 8 each) (Arjovsky et al. 2016).
     */
    @Override
    public double trivialBaseline() {
        return COPY_LENGTH * Math.log(DATA_SYMBOLS) / sequenceLength();
    }

    @Override
    public String trivialBaselineDescription() {
        return "mean cross-entropy of the memoryless predictor (blank for the first T+10 steps, uniform over "
                + "the 8 data symbols for the last 10): 10 ln 8/(T+20) (Arjovsky et al. 2016)";
    }

    @Override
    public void fill(long seed, Split split, int partition, long index, SequenceBatch batch, int b) {
        SplittableRandom rng = Generation.random(seed, name(), split, partition, index);
        Generation.clearRow(this, batch, b);
        int steps = sequenceLength();
        int recall = delay + COPY_LENGTH; // first step of the output phase
        for (int t = 0; t < steps; t++) {
            int in;
            if (t < COPY_LENGTH) {
                in = rng.nextInt(DATA_SYMBOLS);
                Generation.setTarget(batch, recall + t, b, in, 1.0); // the symbol is due delay+10 steps later
            } else {
                in = t == recall - 1 ? DELIMITER : BLANK;
            }
            Generation.setInput(batch, t, b, in, 1.0);
            if (t < recall) {
                Generation.setTarget(batch, t, b, BLANK, 1.0);
            }
        }
    }

    @Override
    public String toString() {
        return "CopyTask[T=" + delay + ", steps=" + sequenceLength() + "]";
    }
}
