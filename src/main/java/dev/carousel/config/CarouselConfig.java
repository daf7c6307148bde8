package dev.carousel.config;

import dev.carousel.nn.CellType;
import dev.carousel.nn.ForgetGate;
import dev.carousel.nn.Precision;
import dev.carousel.nn.Probe;
import dev.carousel.nn.RecurrentInit;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * One fully resolved, validated run configuration. Immutable; built only by {@link ConfigLoader}, which
 * documents every key and its default in {@code carousel-defaults.conf}.
 */
public record CarouselConfig(long seed, Task task, Model model, Optimizer optimizer, Training training,
                             Probes probes, Distributed distributed, Data data) {

    /** @param name adding | copy | temporal-order; @param length T (for copy: the delay; sequences are T+20 long) */
    public record Task(String name, int length, int validationSequences) {}

    /**
     * @param rnnGain       scale of W_h at initialisation (for {@link RecurrentInit#ORTHOGONAL}, exactly the
     *                      spectral radius of the RNN's W_h and of each LSTM gate block)
     * @param recurrentInit how W_h is drawn: orthogonal blocks or Glorot-uniform
     */
    public record Model(CellType cell, int hidden, ForgetGate forgetGate, double rnnGain, RecurrentInit recurrentInit,
                        Precision precision) {}

    public enum OptimizerKind { SGD, ADAM, RMSPROP }

    /** @param clipNorm global-norm clipping threshold τ; 0 disables clipping */
    public record Optimizer(OptimizerKind kind, double learningRate, double momentum, double beta1, double beta2,
                            double epsilon, double rho, double clipNorm) {}

    /**
     * @param updates    number of optimiser updates
     * @param evalEvery  validate every this many updates (and after the last)
     */
    public record Training(int batchSize, int updates, int evalEvery) {}

    /**
     * @param every record per-step statistics every this many updates (update 0 = initialisation)
     * @param set   the probes to record (of them, those that apply to the cell); never empty
     */
    public record Probes(boolean enabled, int every, Set<Probe> set) {
        public Probes {
            if (set.isEmpty()) {
                throw new IllegalArgumentException("probes.set is empty");
            }
            set = Collections.unmodifiableSet(EnumSet.copyOf(set));
        }
    }

    /** What happens to optimiser state when partitions' parameters are averaged. */
    public enum OptimizerStateMode { AVERAGE, RESET }

    /**
     * Where training sequences come from: the generated {@code task}, or a file dataset read and validated
     * through Spark SQL (Parquet, CSV, text; docs/architecture.md), of which {@code validationFraction} is held out.
     */
    public record Data(String format, String path, double validationFraction) {
        public boolean isGenerated() {
            return "generated".equals(format);
        }
    }

    /**
     * Synchronous parameter averaging on Spark (docs/architecture.md): each round broadcasts θ and the optimiser
     * state, every partition takes {@code localSteps} minibatch steps on its shard, and one Spark job averages
     * them: a treeAggregate of the given depth when that merges on executors, else the driver merges.
     * {@code training.updates} counts local steps per partition.
     * With one partition (and the state averaged, not reset) the rounds up to the next evaluation or checkpoint run
     * as one job, with the same results.
     *
     * @param checkpointEvery rounds between checkpoints; 0 writes none
     */
    public record Distributed(int partitions, int localSteps, int aggregationDepth, OptimizerStateMode optimizerState,
                              int checkpointEvery) {}
}
