package dev.carousel.spark;

import java.io.Serializable;
import java.util.List;

/**
 * What every partition needs for one round. Small (up to {@code DistributedTrainer.INLINE_ROUND_INPUT_BYTES}),
 * it rides in the job's task binary, which Spark broadcasts once per executor anyway; larger, it is a broadcast of
 * its own, so the task binary stays small whatever the model size.
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
                         int partitions, org.apache.spark.broadcast.Broadcast<dev.carousel.train.FileData> files)
        implements Serializable {

    /**
     * Each partition's share n_p / Σ n of the round's sums: every partition takes the same number of steps of the
     * same batch size, so this is 1/N.
     */
    public double weight() {
        return 1.0 / partitions;
    }
}
