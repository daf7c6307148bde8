package dev.carousel.spark;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.optim.OptimizerState;
import dev.carousel.stats.StepStats;
import dev.carousel.train.BatchSource;
import dev.carousel.train.LocalSteps;
import dev.carousel.train.RunSetup;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.spark.TaskContext;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What an executor does for one partition in one round, or for one validation pass. Static methods
 * only, so task closures capture nothing but the broadcast handle.
 */
final class PartitionWork {
    private PartitionWork() {}

    /**
     * One network and optimiser per task thread, config and dataset: executors reuse threads across tasks, so
     * workspaces survive from round to round instead of being rebuilt (and re-parsed) every task.
     */
    private static final ThreadLocal<LocalSteps> CACHE = new ThreadLocal<>();
    private static final ThreadLocal<String> CACHE_KEY = new ThreadLocal<>();
    /** Thread CPU time of the task thread (supported and enabled by default on HotSpot). */
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    static LocalSteps steps(RoundInput in) {
        String hash = in.configHash();
        // Keyed by the data too: two runs of one config may train on different data (a file rewritten in place, the
        // DataFrames of a Spark ML tuning grid), and a file dataset's broadcast is made once per run.
        String key = in.files() == null ? hash : hash + "/" + in.files().id();
        if (!key.equals(CACHE_KEY.get())) {
            CarouselConfig c = ConfigLoader.parse(in.config(), "broadcast config " + hash);
            if (CACHE.get() != null) {
                CACHE.get().close();
            }
            TaskContext task = TaskContext.get();
            CACHE.set(new LocalSteps(RunSetup.of(c, in.files() == null ? null : in.files().value()),
                    task == null ? 1 : task.cpus()));
            CACHE_KEY.set(key);
        }
        return CACHE.get();
    }

    /** K local steps from the broadcast state on this shard, returned as a weighted leaf of the round tree. */
    static RoundSum.Node round(RoundInput in, Shard shard) {
        Scores before = scoresBefore(in, shard.partition());
        Local local = local(in, shard);
        return before.into(local.run(in.firstUpdate(), in.steps(), in.probeAfter()));
    }

    /**
     * This partition's scores of θ as received ({@link RoundInput#validateBefore}), taken before any local step, and
     * the time they took; {@link Scores#NONE} when not asked for.
     */
    private static Scores scoresBefore(RoundInput in, int partition) {
        if (!in.validateBefore()) {
            return Scores.NONE;
        }
        long cpu0 = CPU.getCurrentThreadCpuTime();
        long wall0 = System.nanoTime();
        double[] sums = validate(in, partition, in.partitions());
        return new Scores(sums, RoundSum.Compute.of(System.nanoTime() - wall0, CPU.getCurrentThreadCpuTime() - cpu0));
    }

    /** Validation sums {partition, loss sum, metric sum, sequences} of θ as received, or none (null sums). */
    private record Scores(double[] sums, RoundSum.Compute compute) {
        static final Scores NONE = new Scores(null, null);

        /** {@code leaf} carrying these scores, their time added to its compute (validating is local compute too). */
        RoundSum.Node into(RoundSum.Node leaf) {
            if (sums == null) {
                return leaf;
            }
            return new RoundSum.Node(leaf.theta(), leaf.state(), leaf.losses(), leaf.gradNorms(), leaf.stats(),
                    leaf.divergedAt(), leaf.count(), compute.plusInSequence(leaf.compute()), List.of(sums));
        }
    }

    /**
     * What a one-partition job returns ({@link #rounds}).
     *
     * @param rounds      one leaf per round, in order; only the last finished one carries θ and the optimiser state
     * @param finalProbe  the statistics of the resulting parameters on the next minibatch (probeAfter), or null
     * @param validation  {partition, loss sum, metric sum, sequences} of the resulting parameters on all held-out
     *                    sequences (validateAfter), or null; as {@link #validate} returns for the one partition
     * @param after       the task's time in the final probe and the validation: they are local compute too
     */
    record Rounds(List<RoundSum.Node> rounds, StepStats finalProbe, double[] validation, RoundSum.Compute after)
            implements java.io.Serializable {}

    /**
     * Several rounds back to back in one task, for a one-partition run, where averaging is the identity (the
     * weight is exactly 1): {@code in.steps()} local steps in rounds of {@code in.roundSteps()}, one leaf per round,
     * each what {@link #round} returns for that round alone, so the driver applies them one by one exactly as it
     * would separate jobs' results. Only the last finished round's leaf carries θ and the optimiser state (earlier
     * ones hold null there: the next round started from them). The rounds stop at the first that diverges; its
     * leaf comes last, and the one before it, if any, carries the state of the last finite round. If none diverges,
     * the final probe and the validation the driver would run as jobs of their own on the same θ follow in the
     * same task when asked for: the same code on the same bits. Scores of θ as received
     * ({@link RoundInput#validateBefore}) are taken first and ride in the first round's leaf.
     */
    static Rounds rounds(RoundInput in, Shard shard) {
        Scores before = scoresBefore(in, shard.partition());
        Local local = local(in, shard);
        List<RoundSum.Node> out = new ArrayList<>();
        long end = in.firstUpdate() + in.steps();
        for (long first = in.firstUpdate(); first < end; first += in.roundSteps()) {
            RoundSum.Node leaf = local.run(first, (int) Math.min(in.roundSteps(), end - first), false);
            if (out.isEmpty()) {
                leaf = before.into(leaf); // the first round carries the scores of θ as received
            }
            if (leaf.divergedAt() < 0 && !out.isEmpty()) {
                RoundSum.Node previous = out.remove(out.size() - 1);
                out.add(new RoundSum.Node(null, null, previous.losses(), previous.gradNorms(), previous.stats(),
                        previous.divergedAt(), previous.count(), previous.compute(), previous.validation()));
            }
            out.add(leaf);
            if (leaf.divergedAt() >= 0) {
                return new Rounds(out, null, null, RoundSum.Compute.of(0, 0));
            }
        }
        long cpu0 = CPU.getCurrentThreadCpuTime();
        long wall0 = System.nanoTime();
        StepStats probe = in.probeAfter() ? local.steps.probe(local.theta, local.source.batch(end)) : null;
        double[] validation = null;
        if (in.validateAfter()) {
            validation = validate(in, local.theta, 0, 1);
        }
        return new Rounds(out, probe, validation, RoundSum.Compute.of(System.nanoTime() - wall0,
                CPU.getCurrentThreadCpuTime() - cpu0));
    }

    /** A partition's working set for one task: its network and optimiser, θ and the optimiser state unpacked. */
    private static Local local(RoundInput in, Shard shard) {
        LocalSteps steps = steps(in);
        int batchSize = steps.setup().config().training().batchSize();
        BatchSource source = index -> shard.trainingBatch(index, batchSize);
        INDArray theta = in.theta().toINDArray();
        Map<String, INDArray> buffers = new LinkedHashMap<>();
        for (int b = 0; b < in.stateNames().size(); b++) {
            buffers.put(in.stateNames().get(b), in.stateBuffers().get(b).toINDArray());
        }
        return new Local(steps, source, theta, buffers, OptimizerState.of(buffers, in.stateStep()), in.weight());
    }

    private record Local(LocalSteps steps, BatchSource source, INDArray theta, Map<String, INDArray> buffers,
                         OptimizerState state, double weight) {
        /** {@code count} local steps from update {@code first}, in place on θ and the state; their weighted leaf. */
        RoundSum.Node run(long first, int count, boolean probeAfter) {
            // Timed: the training steps themselves (and the final probe), nothing of the task's setup or packing.
            long cpu0 = CPU.getCurrentThreadCpuTime();
            long wall0 = System.nanoTime();
            LocalSteps.Outcome o = steps.run(theta, state, source, first, count);
            SortedMap<Long, StepStats> stats = new TreeMap<>(o.stats());
            if (probeAfter && o.divergedAt() < 0) {
                long next = first + o.steps();
                stats.put(next, steps.probe(theta, source.batch(next)));
            }
            RoundSum.Compute compute = RoundSum.Compute.of(System.nanoTime() - wall0,
                    CPU.getCurrentThreadCpuTime() - cpu0);
            double[][] state2 = new double[buffers.size()][];
            int b = 0;
            for (INDArray buf : buffers.values()) {
                state2[b++] = scaled(FlatArray.of(buf), weight);
            }
            return new RoundSum.Node(scaled(FlatArray.of(theta), weight), state2, scaled(o.losses(), weight),
                    scaled(o.gradNorms(), weight), stats, o.divergedAt(), 1, compute, List.of());
        }
    }

    /** {partition, loss sum, metric sum, sequences} over this partition's contiguous range of held-out sequences. */
    static double[] validate(RoundInput in, int partition, int partitions) {
        return validate(in, in.theta().toINDArray(), partition, partitions);
    }

    private static double[] validate(RoundInput in, INDArray theta, int partition, int partitions) {
        LocalSteps steps = steps(in);
        long total = steps.setup().validationSize();
        long lo = total * partition / partitions;
        long hi = total * (partition + 1) / partitions;
        double[] sums = steps.validate(theta, lo, hi - lo);
        return new double[] {partition, sums[0], sums[1], hi - lo};
    }

    private static double[] scaled(FlatArray a, double w) {
        double[] out = new double[a.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = w * a.get(i);
        }
        return out;
    }

    private static double[] scaled(double[] a, double w) {
        double[] out = new double[a.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = w * a[i];
        }
        return out;
    }
}
