package dev.carousel.data;

import dev.carousel.util.Seeds;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Shared plumbing of the generated tasks: the per-sequence random stream and writes into one row of a
 * {@link SequenceBatch}. Package-private: the tasks are the public surface.
 */
final class Generation {
    private Generation() {}

    /**
     * The random stream of one sequence. Seeding each sequence from its own coordinates (not one stream
     * per batch) is what makes a sequence independent of batch size and of generation order.
     */
    static SplittableRandom random(long seed, String taskName, Split split, int partition, long index) {
        if (split == null) {
            throw new IllegalArgumentException("split must not be null");
        }
        if (partition < 0 || index < 0) {
            throw new IllegalArgumentException("partition and index must be >= 0, got partition=" + partition
                    + " index=" + index);
        }
        return new SplittableRandom(Seeds.derive(seed, Seeds.label(taskName), split.ordinal(), partition, index));
    }

    /**
     * Checks that {@code batch} has this task's shape and that {@code b} is one of its rows, then zeroes
     * row b of inputs and targets, so that a reused batch never keeps values of an earlier sequence.
     */
    static void clearRow(SequenceTask task, SequenceBatch batch, int b) {
        if (batch.steps() != task.sequenceLength() || batch.inputSize() != task.inputSize()
                || batch.outputSize() != task.outputSize()) {
            throw new IllegalArgumentException(task.name() + ": batch has [T, I, O] = [" + batch.steps() + ", "
                    + batch.inputSize() + ", " + batch.outputSize() + "], task needs [" + task.sequenceLength()
                    + ", " + task.inputSize() + ", " + task.outputSize() + "]");
        }
        if (b < 0 || b >= batch.batchSize()) {
            throw new IllegalArgumentException("row b=" + b + " is outside [0, " + batch.batchSize() + ")");
        }
        for (int t = 0; t < batch.steps(); t++) {
            int in = (t * batch.batchSize() + b) * batch.inputSize();
            Arrays.fill(batch.inputs(), in, in + batch.inputSize(), 0.0);
            int out = (t * batch.batchSize() + b) * batch.outputSize();
            Arrays.fill(batch.targets(), out, out + batch.outputSize(), 0.0);
        }
    }

    /** inputs[t, b, i] = value. */
    static void setInput(SequenceBatch batch, int t, int b, int i, double value) {
        batch.inputs()[(t * batch.batchSize() + b) * batch.inputSize() + i] = value;
    }

    /** targets[t, b, o] = value. */
    static void setTarget(SequenceBatch batch, int t, int b, int o, double value) {
        batch.targets()[(t * batch.batchSize() + b) * batch.outputSize() + o] = value;
    }
}
