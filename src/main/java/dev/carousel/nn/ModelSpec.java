package dev.carousel.nn;

import java.util.Objects;

/**
 * The shape and kind of a model: cell, sizes, forget-gate mode (LSTM only) and engine precision.
 *
 * @param inputSize  I
 * @param hidden     H
 * @param outputSize O
 * @param forgetGate ignored for {@link CellType#RNN}
 */
public record ModelSpec(CellType cell, int inputSize, int hidden, int outputSize, ForgetGate forgetGate,
                        Precision precision) {
    public ModelSpec {
        Objects.requireNonNull(cell, "cell");
        Objects.requireNonNull(precision, "precision");
        if (inputSize <= 0 || hidden <= 0 || outputSize <= 0) {
            throw new IllegalArgumentException("sizes must be positive: I=" + inputSize + " H=" + hidden + " O=" + outputSize);
        }
        if (cell == CellType.LSTM) {
            Objects.requireNonNull(forgetGate, "an LSTM needs a forget-gate mode");
        }
    }

    /** Width of the pre-activation z_t: 4H for the LSTM (gates i, f, g, o), H for the RNN. */
    public int gateWidth() {
        return cell == CellType.LSTM ? 4 * hidden : hidden;
    }

    public ParameterLayout layout() {
        return new ParameterLayout(cell, inputSize, hidden, outputSize);
    }

    /** Constant forget activation φ for fixed/none modes; NaN when f is computed from parameters. */
    public double constantForget() {
        if (cell != CellType.LSTM) {
            return Double.NaN;
        }
        if (forgetGate instanceof ForgetGate.Fixed f) {
            return f.value();
        }
        return forgetGate instanceof ForgetGate.None ? 1.0 : Double.NaN;
    }
}
