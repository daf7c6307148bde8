package dev.carousel.scaling;

import java.util.ArrayList;
import java.util.List;

/**
 * The time of one round of synchronous parameter averaging on N executors (one partition and one task slot each),
 * from measured parts: the driver's scheduling cost per Spark job and per task, the partitions' local compute, the
 * round input's broadcast, and the partition results' way back to the driver through Spark's
 * {@code treeAggregate}. Pure arithmetic, no Spark: {@code bench/spark.sh model} checks it against rounds measured
 * on every master this machine can run, and {@code carousel validate --executors N} prints its projection.
 *
 * <p>For N executors, with S_in the round input (θ, optimiser state, config), S_out a partition's result (sums of
 * θ and state as doubles, statistics), β the bandwidth and λ the latency of the network:
 * <pre>
 *   round(N) = scheduling + broadcast + (rounds·compute + task overhead) + aggregation
 *   scheduling  = payloads + job + N·task, and per executor-side merge level another job + (its partitions)·task
 *   broadcast   = g·λ + (S_in + (g − 1)·min(S_in, block)) / β,   g = ⌈log2(N + 1)⌉
 *   aggregation = per merge level: λ + f·S_out/β + f·S_out·merge   (f results into each merging task)
 *               + at the driver:   λ + r·S_out/β + r·S_out·merge   (r results left after the levels)
 * </pre>
 * The broadcast is Spark's torrent: the holders of a block double each generation, the blocks after the first
 * stream behind it. The driver's link carries the last r results one after another. The levels, fan-ins and r
 * follow Spark's own {@code treeAggregate} loop ({@link #treeLevels}); Carousel merges on the driver when the tree
 * would add no executor-side level, which the same arithmetic covers with zero levels.
 *
 * <p>Weak scaling: every partition trains its own batch, so N executors take N·B sequences per update, and the
 * speedup over one executor is N·round(1)/round(N).
 *
 * @param round    one partition's round: compute and payloads
 * @param driver   the driver's scheduling costs
 * @param network  bandwidth and latency between executors and to the driver
 * @param depth    {@code distributed.aggregation-depth}
 */
public record ScalingModel(Round round, Driver driver, Network network, int depth) {

    /** Torrent broadcast block size: Spark's {@code spark.broadcast.blockSize} default, 4 MiB. */
    public static final long BLOCK_BYTES = 4L << 20;

    public ScalingModel {
        if (depth < 1) {
            throw new IllegalArgumentException("aggregation depth must be at least 1, got " + depth);
        }
    }

    /**
     * One partition's share of a round.
     *
     * @param computeSeconds     the local steps of one round (and whatever else the task computes), seconds
     * @param roundsPerJob       rounds one Spark job runs: 1, or more where one partition runs its rounds back to
     *                           back; compute is paid that many times, everything else once
     * @param taskOverheadSeconds a task's own work outside its steps, once per job: deserialising the task and
     *                           the round input, unpacking θ and state, packing and serialising its result
     * @param inputBytes         the round input each executor receives
     * @param resultBytes        one partition's result
     * @param mergeSecondsPerByte the cost of taking in one byte of result where it is merged: deserialising it
     *                           and adding it to the running sums
     */
    public record Round(double computeSeconds, int roundsPerJob, double taskOverheadSeconds, long inputBytes,
                        long resultBytes, double mergeSecondsPerByte) {
        public Round {
            if (!(computeSeconds >= 0) || roundsPerJob < 1 || !(taskOverheadSeconds >= 0) || inputBytes < 0
                    || resultBytes < 0 || !(mergeSecondsPerByte >= 0)) {
                throw new IllegalArgumentException("invalid round: " + computeSeconds + " s, " + roundsPerJob
                        + " rounds per job, " + taskOverheadSeconds + " s per task, " + inputBytes + " B in, "
                        + resultBytes + " B out, " + mergeSecondsPerByte + " s/B");
            }
        }
    }

    /**
     * The driver's serial work: a fixed cost per Spark job or stage (submission, the DAG scheduler, the end of the
     * job), a cost per task (its launch, its result's handling), and once per round the work on the payloads
     * (serialising the round input, unpacking the averaged sums into θ and state).
     */
    public record Driver(double jobSeconds, double taskSeconds, double payloadSeconds) {
        public Driver {
            if (!(jobSeconds >= 0) || !(taskSeconds >= 0) || !(payloadSeconds >= 0)) {
                throw new IllegalArgumentException("invalid driver costs: " + jobSeconds + " s per job, "
                        + taskSeconds + " s per task, " + payloadSeconds + " s per round on payloads");
            }
        }
    }

    /**
     * The network between executors and driver; {@link #LOCAL} where there is none to cross (local mode, or one
     * host's loopback, whose copies the merge cost already covers).
     */
    public record Network(double bytesPerSecond, double latencySeconds) {
        public static final Network LOCAL = new Network(Double.POSITIVE_INFINITY, 0);

        public Network {
            if (!(bytesPerSecond > 0) || !(latencySeconds >= 0)) {
                throw new IllegalArgumentException("invalid network: " + bytesPerSecond + " B/s, " + latencySeconds
                        + " s latency");
            }
        }

        /** A network of {@code gigabits} Gbit/s and {@code latencyMillis} ms. */
        public static Network gigabits(double gigabits, double latencyMillis) {
            return new Network(gigabits * 1e9 / 8, latencyMillis / 1e3);
        }
    }

    /**
     * One round's time on N executors, by part, seconds.
     *
     * @param compute the slowest task: its rounds' compute and its own overhead (tasks run side by side)
     * @param levels  executor-side merge levels of the {@code treeAggregate}
     */
    public record Breakdown(int executors, double scheduling, double broadcast, double compute, double aggregation,
                            int levels) {
        public double total() {
            return scheduling + broadcast + compute + aggregation;
        }
    }

    /**
     * The partition counts of Spark's {@code treeAggregate} over {@code n} partitions at {@code depth}: the counts
     * after each executor-side merge level, in order (empty when it merges only on the driver). Spark's loop:
     * scale = max(⌈n^(1/depth)⌉, 2); while n > scale + ⌈n / scale⌉, n = ⌊n / scale⌋.
     */
    public static List<Integer> treeLevels(int n, int depth) {
        if (n < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + n);
        }
        int scale = Math.max((int) Math.ceil(Math.pow(n, 1.0 / depth)), 2);
        List<Integer> levels = new ArrayList<>();
        int partitions = n;
        while (partitions > scale + Math.ceil((double) partitions / scale)) {
            partitions /= scale;
            levels.add(partitions);
        }
        return levels;
    }

    /** ⌈log2(n + 1)⌉: the torrent generations until n executors hold a block. */
    static int generations(int n) {
        return 32 - Integer.numberOfLeadingZeros(n);
    }

    /** The round on {@code executors} executors. */
    public Breakdown at(int executors) {
        List<Integer> levels = treeLevels(executors, depth);
        double beta = network.bytesPerSecond();
        double lambda = network.latencySeconds();
        double scheduling = driver.payloadSeconds() + driver.jobSeconds() + executors * driver.taskSeconds();
        int g = generations(executors);
        long in = round.inputBytes();
        double broadcast = g * lambda + (in + (g - 1) * (double) Math.min(in, BLOCK_BYTES)) / beta;
        double perResult = round.resultBytes() / beta + round.resultBytes() * round.mergeSecondsPerByte();
        double aggregation = 0;
        int before = executors;
        for (int after : levels) {
            int fanIn = (before + after - 1) / after;
            scheduling += driver.jobSeconds() + after * driver.taskSeconds();
            aggregation += lambda + fanIn * perResult;
            before = after;
        }
        aggregation += lambda + before * perResult;
        double compute = round.roundsPerJob() * round.computeSeconds() + round.taskOverheadSeconds();
        return new Breakdown(executors, scheduling, broadcast, compute, aggregation, levels.size());
    }

    /** Speedup of N executors over one: N·round(1) / round(N) (each executor trains its own batch). */
    public double speedup(int executors) {
        return executors * at(1).total() / at(executors).total();
    }

    /** Speedup per executor: round(1) / round(N). */
    public double efficiency(int executors) {
        return speedup(executors) / executors;
    }
}
