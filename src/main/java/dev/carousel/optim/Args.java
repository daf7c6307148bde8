package dev.carousel.optim;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Argument checks shared by the optimisers; cheap compared with one [P] update. */
final class Args {

    private Args() {}

    /** Checks that grad and every state buffer match params in shape and data type. */
    static void checkUpdate(INDArray params, INDArray grad, OptimizerState state) {
        checkLike(params, grad, "grad");
        for (String n : state.names()) {
            checkLike(params, state.get(n), "state buffer '" + n + "'");
        }
    }

    private static void checkLike(INDArray params, INDArray other, String what) {
        if (other.dataType() != params.dataType() || !Arrays.equals(other.shape(), params.shape())) {
            throw new IllegalArgumentException(what + " is " + other.dataType() + Arrays.toString(other.shape())
                    + " but params are " + params.dataType() + Arrays.toString(params.shape()));
        }
    }

    static double require(double value, boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException(what + " out of range: " + value);
        }
        return value;
    }
}
