package dev.carousel.train;

/**
 * Where the time of one Spark job of training went, as the driver saw it: one round of synchronous parameter
 * averaging, or, with one partition (where averaging is the identity), the rounds up to the next evaluation or
 * checkpoint, run back to back in one task. Diagnostics only:
 * nothing numeric depends on it, and it is never written to the result tables (timings differ from run to run,
 * the tables must not).
 *
 * @param firstUpdate       global index of the job's first local step
 * @param steps             local steps each partition took in the job
 * @param partitions        partitions in the round
 * @param wallNanos         driver wall time of the round: shipping its input, the round's Spark job (scheduling,
 *                          every task, the merges) and unpacking the sums into θ, optimiser state and statistics
 * @param computeWallMax    the largest, over partitions, wall time a task spent in its training steps
 *                          (the local steps and probes, and the evaluations the job's tasks scored; not
 *                          deserialising the round input, not building the network, not packing its result)
 * @param computeWallSum    the same summed over partitions
 * @param computeCpuMax     the largest thread CPU time a task spent in its training steps
 * @param computeCpuSum     the same summed over partitions
 */
public record RoundTiming(long firstUpdate, int steps, int partitions, long wallNanos, long computeWallMax,
                          long computeWallSum, long computeCpuMax, long computeCpuSum) {

    /**
     * The share of the round's wall time outside the slowest partition's local compute: broadcast, scheduling,
     * aggregation, (de)serialisation and waiting. 1 − computeWallMax / wallNanos.
     */
    public double outsideComputeShare() {
        return 1.0 - (double) computeWallMax / wallNanos;
    }
}
