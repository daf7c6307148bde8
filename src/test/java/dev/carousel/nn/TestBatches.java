package dev.carousel.nn;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Random batches and parameters for engine tests. */
final class TestBatches {
    private TestBatches() {}

    /** Loss at the last step, at every step, or at the mask {1, 3}: the three heads the engine tests cover. */
    static Supervision supervision(LossKind kind, String positions, int steps) {
        return switch (positions) {
            case "last" -> Supervision.lastStep(kind, steps);
            case "every" -> Supervision.everyStep(kind, steps);
            default -> new Supervision(kind, new int[] {1, 3});
        };
    }

    /** Inputs U(−1, 1); MSE targets U(−1, 1), cross-entropy targets one-hot. */
    static SequenceBatch random(int t, int b, int i, int o, Supervision sup, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[t * b * i];
        for (int k = 0; k < x.length; k++) {
            x[k] = r.nextDouble(-1, 1);
        }
        double[] y = new double[t * b * o];
        for (int row = 0; row < t * b; row++) {
            if (sup.kind() == LossKind.MSE) {
                for (int j = 0; j < o; j++) {
                    y[row * o + j] = r.nextDouble(-1, 1);
                }
            } else {
                y[row * o + r.nextInt(o)] = 1.0;
            }
        }
        return new SequenceBatch(t, b, i, o, x, y, sup);
    }

    /** θ with every component U(−scale, scale), in the spec's precision. */
    static INDArray randomTheta(ModelSpec spec, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] theta = new double[(int) spec.layout().count()];
        for (int k = 0; k < theta.length; k++) {
            theta[k] = r.nextDouble(-scale, scale);
        }
        return Nd4j.create(theta, new long[] {theta.length}, spec.precision().dataType());
    }

    /** A batch holding only sequence {@code b} of {@code batch}. */
    static SequenceBatch select(SequenceBatch batch, int b) {
        int t = batch.steps();
        int i = batch.inputSize();
        int o = batch.outputSize();
        double[] x = new double[t * i];
        double[] y = new double[t * o];
        for (int s = 0; s < t; s++) {
            System.arraycopy(batch.inputs(), (s * batch.batchSize() + b) * i, x, s * i, i);
            System.arraycopy(batch.targets(), (s * batch.batchSize() + b) * o, y, s * o, o);
        }
        return new SequenceBatch(t, 1, i, o, x, y, batch.supervision());
    }
}
