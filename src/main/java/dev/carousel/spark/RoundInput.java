package dev.carousel.spark;

import dev.carousel.optim.OptimizerState;
import dev.carousel.train.FileData;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;

/**
 * What every partition needs for one round. Small (up to {@code DistributedTrainer.INLINE_ROUND_INPUT_BYTES}),
 * it rides in the job's task binary, which Spark broadcasts once per executor anyway; larger, it is a broadcast of
 * its own, so the task binary stays small whatever the model size. Built with {@link #builder}, which names each
 * field at the call site.
 *
 * @param config       the canonical config (CarouselConfig is rebuilt and cached on the executor)
 * @param configHash   its hash, the executor cache key
 * @param theta        θ at the start of the round: [P]
 * @param stateNames   optimiser buffer names, in order
 * @param stateBuffers optimiser buffers: [P] each
 * @param stateStep    optimiser step count at the start of the round
 * @param firstUpdate  global index of the round's first local step (its minibatch index on every shard)
 * @param steps        local steps each partition takes (0 for a pass that only probes or scores)
 * @param roundSteps   local steps per round, K: a one-partition job may run several rounds back to back
 *                     ({@code steps} a multiple of K, or what is left at the end of training); equal to steps
 *                     for a single round
 * @param probeAfter   probe the resulting parameters on the next minibatch (the final statistics)
 * @param validateAfter a one-partition job: score the resulting parameters on the held-out sequences in the same
 *                     task (the evaluation due at the job's end)
 * @param validateBefore first score θ as received on this partition's share of the held-out sequences (the
 *                     evaluation due before the round, which then needs no job of its own)
 * @param partitions   N, the number of partitions (each validates its contiguous 1/N of the held-out sequences;
 *                     each partition's result weighs {@link #weight()})
 * @param files        the file dataset's shape and held-out sequences, broadcast once per run; null for a generated task
 */
public record RoundInput(String config, String configHash, FlatArray theta, List<String> stateNames,
                         List<FlatArray> stateBuffers, long stateStep, long firstUpdate, int steps,
                         int roundSteps, boolean probeAfter, boolean validateAfter, boolean validateBefore,
                         int partitions, Broadcast<FileData> files)
        implements Serializable {

    /**
     * Each partition's share n_p / Σ n of the round's sums: every partition takes the same number of steps of the
     * same batch size, so this is 1/N.
     */
    public double weight() {
        return 1.0 / partitions;
    }

    /** A round input for θ under the canonical config {@code config} and its hash; the rest set by name. */
    public static Builder builder(String config, String configHash, FlatArray theta) {
        return new Builder(config, configHash, theta);
    }

    /**
     * Names the fields of a {@link RoundInput}. Unset: no optimiser state (step 0), update 0, no local steps (a pass
     * that only scores or probes), rounds of {@code steps} local steps, nothing probed or scored, one partition, a
     * generated task.
     */
    public static final class Builder {
        private final String config;
        private final String configHash;
        private final FlatArray theta;
        private List<String> stateNames = List.of();
        private List<FlatArray> stateBuffers = List.of();
        private long stateStep;
        private long firstUpdate;
        private int steps;
        private int roundSteps = -1;
        private boolean probeAfter;
        private boolean validateAfter;
        private boolean validateBefore;
        private int partitions = 1;
        private Broadcast<FileData> files;

        private Builder(String config, String configHash, FlatArray theta) {
            this.config = config;
            this.configHash = configHash;
            this.theta = theta;
        }

        /** The optimiser state at the start of the round: its buffer names, buffers and step count. */
        public Builder state(OptimizerState state) {
            List<FlatArray> buffers = new ArrayList<>();
            for (String name : state.names()) {
                buffers.add(FlatArray.of(state.get(name)));
            }
            stateNames = List.copyOf(state.names());
            stateBuffers = buffers;
            stateStep = state.step();
            return this;
        }

        /** {@link RoundInput#firstUpdate}. */
        public Builder firstUpdate(long update) {
            firstUpdate = update;
            return this;
        }

        /** {@link RoundInput#steps}; also the round's length unless {@link #roundSteps} says otherwise. */
        public Builder steps(int count) {
            steps = count;
            return this;
        }

        /** {@link RoundInput#roundSteps}: K, for a one-partition job that runs several rounds back to back. */
        public Builder roundSteps(int count) {
            roundSteps = count;
            return this;
        }

        /** {@link RoundInput#probeAfter}. */
        public Builder probeAfter(boolean probe) {
            probeAfter = probe;
            return this;
        }

        /** {@link RoundInput#validateAfter}. */
        public Builder validateAfter(boolean validate) {
            validateAfter = validate;
            return this;
        }

        /** {@link RoundInput#validateBefore}. */
        public Builder validateBefore(boolean validate) {
            validateBefore = validate;
            return this;
        }

        /** {@link RoundInput#partitions}. */
        public Builder partitions(int n) {
            partitions = n;
            return this;
        }

        /** {@link RoundInput#files}: the file dataset's broadcast, or null for a generated task. */
        public Builder files(Broadcast<FileData> data) {
            files = data;
            return this;
        }

        public RoundInput build() {
            return new RoundInput(config, configHash, theta, stateNames, stateBuffers, stateStep, firstUpdate, steps,
                    roundSteps < 0 ? steps : roundSteps, probeAfter, validateAfter, validateBefore, partitions, files);
        }
    }
}
