package dev.carousel.train;

import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import java.io.Serializable;

/**
 * The shape of a validated file dataset and its held-out sequences: what a model built for that data
 * needs beyond the config (which cannot know I, O or T of a file before reading it).
 *
 * @param sequenceLength T
 * @param inputSize      I
 * @param outputSize     O
 * @param heldOut        all held-out sequences as one batch [T, V, ·]; validation slices it
 */
public record FileData(int sequenceLength, int inputSize, int outputSize, Supervision supervision, SequenceBatch heldOut)
        implements Serializable {

    /** Held-out sequences [first, first + count) as a batch. */
    public SequenceBatch slice(long first, int count) {
        int t = sequenceLength;
        int v = heldOut.batchSize();
        if (first < 0 || first + count > v) {
            throw new IllegalArgumentException("held-out range [" + first + ", " + (first + count) + ") outside [0, " + v + ")");
        }
        double[] x = new double[Math.multiplyExact(Math.multiplyExact(t, count), inputSize)];
        double[] y = new double[Math.multiplyExact(Math.multiplyExact(t, count), outputSize)];
        for (int s = 0; s < t; s++) {
            System.arraycopy(heldOut.inputs(), (int) ((s * (long) v + first) * inputSize), x, s * count * inputSize, count * inputSize);
            System.arraycopy(heldOut.targets(), (int) ((s * (long) v + first) * outputSize), y, s * count * outputSize, count * outputSize);
        }
        return new SequenceBatch(t, count, inputSize, outputSize, x, y, supervision);
    }
}
