package dev.carousel.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.nn.CellType;
import dev.carousel.nn.ForgetGate;
import dev.carousel.nn.Probe;
import dev.carousel.stats.StepStats;
import dev.carousel.train.LocalSteps;
import dev.carousel.train.RunSetup;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the default sweep's report must show at initialisation (heatmap (a), first panel), checked on its own cells at
 * T = 100: the tanh-RNN's median ‖∂ℓ/∂h_t‖ vanishes with lag; the LSTM with forget bias ≥ 2, chrono, f_t = 1 or no
 * forget gate keeps it within a few decades over the whole sequence; forget bias ≤ −1 loses it faster than the RNN.
 */
class DefaultSweepGradientFlowTest {

    /** p50 of log10 ‖∂ℓ/∂h_t‖ at lag {@code lag} minus at lag 0, at initialisation. */
    static double dropAt(Cell cell, int lag) {
        RunSetup setup = RunSetup.of(cell.config());
        StepStats s = new LocalSteps(setup).probe(setup.initialParameters(), setup.trainingBatch(0, 0));
        int last = s.steps() - 1;
        return s.summary(Probe.DH, last - lag).p50() - s.summary(Probe.DH, last).p50();
    }

    @Test
    void atInitialisationTheRnnVanishesWhileLargeForgetBiasesKeepTheGradient() {
        List<Cell> t100 = SweepSpec.load(Path.of("conf/sweeps/forget-gate.conf")).cells().stream()
                .filter(c -> c.config().task().length() == 100 && c.config().seed() == 1).toList();
        Cell rnn = t100.stream().filter(c -> c.config().model().cell() == CellType.RNN).findFirst().orElseThrow();
        double rnnDrop = dropAt(rnn, 99);
        // W_h = 0.9·orthogonal and tanh' <= 1: at most 0.9^99 = 10^-4.5.
        assertTrue(rnnDrop < 99 * Math.log10(0.9), "tanh-RNN drop over 99 steps: " + rnnDrop + " decades");
        int kept = 0;
        int lost = 0;
        for (Cell c : t100) {
            if (c.config().model().cell() != CellType.LSTM) {
                continue;
            }
            ForgetGate gate = c.config().model().forgetGate();
            boolean large = gate instanceof ForgetGate.Learned l ? l.bias() >= 2 : !(gate instanceof ForgetGate.Uniform);
            boolean negative = gate instanceof ForgetGate.Learned l && l.bias() <= -1;
            if (large) {
                double drop = dropAt(c, 99);
                assertTrue(drop > -3.5, c.label() + ": " + drop + " decades over 99 steps");
                assertTrue(drop > rnnDrop + 1, c.label() + " keeps at least a decade more than the RNN");
                kept++;
            } else if (negative) {
                // Underflow to zero (bias -2 in float32) leaves p50 = -inf, which is below the RNN too.
                double drop = dropAt(c, 60);
                assertTrue(drop < rnnDrop, c.label() + ": " + drop + " decades over 60 steps, below the RNN's over 99");
                lost++;
            }
        }
        assertEquals(5, kept, "biases 2, 3, chrono, fixed(1.0) and none");
        assertEquals(2, lost, "biases -1 and -2");
    }
}
