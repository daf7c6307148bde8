package dev.carousel.data;

/**
 * A synthetic sequence task. Every sequence is a pure function of (seed, split, partition, index), so a
 * shard is generated where it is used and nothing is shipped; batch k of size B on a partition holds the
 * sequences with indices k·B .. k·B+B−1, so regrouping sequences into batches never changes them.
 */
public interface SequenceTask {
    /** Short name used in configs and reports, e.g. {@code adding} (the A2 variant). It seeds the task's
     * random streams, so renaming a task changes every sequence it generates. */
    String name();

    /** Sequence length T (number of time steps fed to the network). */
    int sequenceLength();

    int inputSize();

    int outputSize();

    /** Where and how the task is scored. */
    Supervision supervision();

    /** Loss of the task's trivial predictor (e.g. the constant mean), the plateau a model must leave. */
    double trivialBaseline();

    /**
     * The validation loss below which a network counts as having learned the task (a sweep's
     * {@code updates_to_target}): by default 0.3 × {@link #trivialBaseline()}, well below any solution that ignores
     * the dependency.
     */
    default double targetLoss() {
        return 0.3 * trivialBaseline();
    }

    /** What {@link #trivialBaseline()} is, in words, with its source. */
    String trivialBaselineDescription();

    /** Writes sequence {@code index} of the given shard into row {@code b} of {@code batch}'s arrays. */
    void fill(long seed, Split split, int partition, long index, SequenceBatch batch, int b);

    /** The batch of {@code batchSize} consecutive sequences starting at index {@code batchIndex·batchSize}. */
    default SequenceBatch batch(long seed, Split split, int partition, long batchIndex, int batchSize) {
        int t = sequenceLength();
        SequenceBatch batch = new SequenceBatch(t, batchSize, inputSize(), outputSize(),
                new double[Math.multiplyExact(Math.multiplyExact(t, batchSize), inputSize())],
                new double[Math.multiplyExact(Math.multiplyExact(t, batchSize), outputSize())], supervision());
        for (int b = 0; b < batchSize; b++) {
            fill(seed, split, partition, batchIndex * batchSize + b, batch, b);
        }
        return batch;
    }
}
