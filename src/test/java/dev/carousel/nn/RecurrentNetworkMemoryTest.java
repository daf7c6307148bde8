package dev.carousel.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The off-heap memory a real network's workspace allocates is what {@link MemoryEstimate} says, byte for byte; a
 * network that only evaluates (the validation network) never allocates the backward pass's buffers, and
 * evaluating gives the same bits with or without them.
 */
class RecurrentNetworkMemoryTest {

    @ParameterizedTest(name = "{0} {1} T={2} lossSteps={3}")
    @CsvSource({"LSTM, FLOAT32, 7, 1", "LSTM, FLOAT64, 7, 7", "RNN, FLOAT32, 5, 1", "RNN, FLOAT64, 4, 4",
            "LSTM, FLOAT32, 9, 3"})
    void workspaceMatchesTheFormulaAndEvaluationSkipsBackwardBuffers(CellType cell, Precision precision, int t,
                                                                     int lossSteps) {
        int b = 5;
        ModelSpec spec = new ModelSpec(cell, 3, 6, 2, new ForgetGate.Learned(1.0), precision);
        SequenceBatch batch = batch(spec, b, t, lossSteps);
        INDArray theta = Nd4j.rand(spec.precision().dataType(), spec.layout().count()).subi(0.5);

        RecurrentNetwork evaluating = new RecurrentNetwork(spec);
        RecurrentNetwork.Evaluation before = evaluating.evaluate(theta, batch);
        long forwardOnly = MemoryEstimate.workspaceBytes(spec, b, t, lossSteps, false);
        assertEquals(forwardOnly, MemoryEstimate.evaluationOffHeapBytes(spec, b, t, lossSteps));
        assertEquals(forwardOnly, evaluating.workspaceBytes(), "an evaluating network holds the forward buffers only");

        INDArray grad = Nd4j.create(spec.precision().dataType(), spec.layout().count());
        evaluating.lossAndGradient(theta, batch, grad, false);
        long training = MemoryEstimate.workspaceBytes(spec, b, t, lossSteps, true);
        assertEquals(training, evaluating.workspaceBytes(), "a gradient pass adds the backward buffers");
        assertEquals(training + 7L * spec.precision().dataType().width() * spec.layout().count(),
                MemoryEstimate.offHeapBytes(spec, b, t, lossSteps));
        assertTrue(training > forwardOnly);

        RecurrentNetwork.Evaluation after = evaluating.evaluate(theta, batch);
        assertEquals(Double.doubleToLongBits(before.loss()), Double.doubleToLongBits(after.loss()));
        assertEquals(Double.doubleToLongBits(before.metric()), Double.doubleToLongBits(after.metric()));
        assertEquals(training, evaluating.workspaceBytes(), "kept, not reallocated");
    }

    private static SequenceBatch batch(ModelSpec spec, int b, int t, int lossSteps) {
        SplittableRandom r = new SplittableRandom(11);
        int in = spec.inputSize();
        int out = spec.outputSize();
        double[] inputs = new double[t * b * in];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = r.nextDouble(-1, 1);
        }
        int[] steps = new int[lossSteps];
        for (int k = 0; k < lossSteps; k++) {
            steps[k] = t - lossSteps + k;
        }
        double[] targets = new double[t * b * out];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = r.nextDouble();
        }
        return new SequenceBatch(t, b, in, out, inputs, targets, new Supervision(LossKind.MSE, steps));
    }
}
