package dev.carousel.data;

/**
 * A minibatch of fixed-length sequences in time-major layout, as plain arrays so that the data layer
 * needs no tensor library and the same batch feeds both the ND4J engine and the plain-Java reference.
 *
 * <p>Shapes (T steps, B sequences, I inputs, O outputs), row-major:
 * <ul>
 *   <li>{@code inputs}: [T, B, I], element (t, b, i) at {@code (t * B + b) * I + i}</li>
 *   <li>{@code targets}: [T, B, O], element (t, b, o) at {@code (t * B + b) * O + o}; only rows at the
 *       supervision's loss steps are read. MSE targets are values; cross-entropy targets are one-hot.</li>
 * </ul>
 * Time-major rows make the input projection of all steps one [T·B, I] × [I, 4H] product whose step-t
 * slice is a contiguous block of B rows.
 */
public record SequenceBatch(int steps, int batchSize, int inputSize, int outputSize,
                            double[] inputs, double[] targets, Supervision supervision)
        implements java.io.Serializable {
    public SequenceBatch {
        if (steps <= 0 || batchSize <= 0 || inputSize <= 0 || outputSize <= 0) {
            throw new IllegalArgumentException("batch dimensions must be positive: T=" + steps + " B=" + batchSize
                    + " I=" + inputSize + " O=" + outputSize);
        }
        if (inputs.length != Math.multiplyExact(Math.multiplyExact(steps, batchSize), inputSize)) {
            throw new IllegalArgumentException("inputs has " + inputs.length + " values, expected T*B*I = "
                    + steps * batchSize * inputSize);
        }
        if (targets.length != Math.multiplyExact(Math.multiplyExact(steps, batchSize), outputSize)) {
            throw new IllegalArgumentException("targets has " + targets.length + " values, expected T*B*O = "
                    + steps * batchSize * outputSize);
        }
        if (supervision.lastStep() >= steps) {
            throw new IllegalArgumentException("loss step " + supervision.lastStep() + " is outside T=" + steps);
        }
    }

    /** Records compare arrays by identity; batches are equal when their contents are. */
    @Override
    public boolean equals(Object o) {
        return o instanceof SequenceBatch s && s.steps == steps && s.batchSize == batchSize && s.inputSize == inputSize
                && s.outputSize == outputSize && java.util.Arrays.equals(s.inputs, inputs)
                && java.util.Arrays.equals(s.targets, targets) && s.supervision.equals(supervision);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(steps, batchSize, inputSize, outputSize, java.util.Arrays.hashCode(inputs),
                java.util.Arrays.hashCode(targets), supervision);
    }

    @Override
    public String toString() {
        return "SequenceBatch[T=" + steps + ", B=" + batchSize + ", I=" + inputSize + ", O=" + outputSize + ", "
                + supervision + "]";
    }

    public double input(int t, int b, int i) {
        return inputs[(t * batchSize + b) * inputSize + i];
    }

    public double target(int t, int b, int o) {
        return targets[(t * batchSize + b) * outputSize + o];
    }
}
