package dev.carousel.data;

/** Test helpers: one sequence out of a time-major batch. */
final class TestRows {
    private TestRows() {}

    /** One generated sequence, as a batch of one. */
    static SequenceBatch one(SequenceTask task, long seed, Split split, int partition, long index) {
        return task.batch(seed, split, partition, index, 1);
    }

    /** inputs of row b as [T][I]. */
    static double[][] inputs(SequenceBatch batch, int b) {
        double[][] x = new double[batch.steps()][batch.inputSize()];
        for (int t = 0; t < batch.steps(); t++) {
            for (int i = 0; i < batch.inputSize(); i++) {
                x[t][i] = batch.input(t, b, i);
            }
        }
        return x;
    }

    /** targets of row b as [T][O]. */
    static double[][] targets(SequenceBatch batch, int b) {
        double[][] y = new double[batch.steps()][batch.outputSize()];
        for (int t = 0; t < batch.steps(); t++) {
            for (int o = 0; o < batch.outputSize(); o++) {
                y[t][o] = batch.target(t, b, o);
            }
        }
        return y;
    }

    /** The index of the single 1 in a one-hot row; fails unless the row is exactly one-hot. */
    static int oneHot(double[] row) {
        int hot = -1;
        for (int k = 0; k < row.length; k++) {
            if (row[k] == 1.0) {
                if (hot >= 0) {
                    throw new AssertionError("two ones in a one-hot row: " + java.util.Arrays.toString(row));
                }
                hot = k;
            } else if (row[k] != 0.0) {
                throw new AssertionError("value " + row[k] + " in a one-hot row: " + java.util.Arrays.toString(row));
            }
        }
        if (hot < 0) {
            throw new AssertionError("no 1 in a one-hot row: " + java.util.Arrays.toString(row));
        }
        return hot;
    }
}
