package dev.carousel.spark;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.optim.Optimizer;
import dev.carousel.optim.OptimizerState;
import dev.carousel.optim.Optimizers;
import dev.carousel.scaling.ScalingModel;
import dev.carousel.stats.StepStats;
import dev.carousel.train.CurvePoint;
import dev.carousel.train.LocalTrainer;
import dev.carousel.train.RoundTiming;
import dev.carousel.train.RunSetup;
import dev.carousel.train.RunStatus;
import dev.carousel.train.TrainResult;
import dev.carousel.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Synchronous parameter averaging on Spark (docs/architecture.md):
 * <pre>
 *   θ, s ← init(seed)
 *   for round r: ship (θ, s) to the executors; each partition p takes K local steps on its shard
 *       (minibatches r·K … r·K+K−1); one job returns Σ w_p θ_p, Σ w_p s_p, losses, statistics; θ, s ← those
 *       sums (s reset instead if configured); validate when due; checkpoint when due
 * </pre>
 * With one partition this is the local trainer, bit for bit (both run {@code LocalSteps}; the weight is
 * exactly 1), and the rounds up to the next evaluation or checkpoint run back to back as one job. With N partitions
 * the sums are formed in a fixed tree ({@link RoundSum}), so results do not depend on the order tasks finish or are
 * retried in. Which rounds each job runs, and when the run evaluates, checkpoints and probes, is the run's
 * {@link RoundPlan}; this class runs the jobs and applies their results.
 *
 * <p>An evaluation is a pass of every partition over its share of the held-out sequences, so where the driver runs a
 * job anyway it rides in that job's tasks instead of costing a Spark job of its own:
 * <ul>
 *   <li>with rounds back to back (one partition), the evaluation due at a job's end runs at the end of its task
 *       ({@link PartitionWork#rounds});</li>
 *   <li>otherwise an evaluation after a round that no checkpoint follows (a checkpoint holds the curve up to it) is
 *       scored at the start of the next round's tasks, on the θ they receive, before their local steps; so is the
 *       evaluation at update 0 on a fresh start, in either case;</li>
 *   <li>the last evaluation shares the final probe's job, when probes are on and the probe is still to be taken.</li>
 * </ul>
 * The driver reads such scores before the round's results, and drops those if the scores end the run (divergence,
 * or the listener stopping it): the same curve, state and bits as separate jobs. The listener hears of an
 * evaluation when the job that scored it ends. The remaining evaluations (update 0 of a run with no updates, one
 * a checkpoint follows, the last one without a probe to share) run as jobs of their own.
 */
public final class DistributedTrainer {
    private final JavaSparkContext sc;
    private final RunSetup setup;
    private final CarouselConfig config;
    private final Options options;
    /** The run's schedule: which rounds each job runs, and when it evaluates, checkpoints and probes. */
    private final RoundPlan plan;
    /** The config as executors rebuild it, and its hash: fixed for the run, so rendered once. */
    private final String canonicalConfig;
    private final String configHash;
    /** The file dataset's shape and held-out sequences, broadcast once per run (null for a generated task). */
    private Broadcast<dev.carousel.train.FileData> files;

    /**
     * Runtime options that do not change results.
     *
     * @param checkpointDir where {@code distributed.checkpoint-every} writes {@code round-NNNNNNNN/} (any Hadoop file
     *                      system, opened with the job's Hadoop configuration); null: none
     * @param resume        continue from the newest checkpoint in checkpointDir, if any
     */
    public record Options(org.apache.hadoop.fs.Path checkpointDir, boolean resume) {
        public static final Options NONE = new Options((org.apache.hadoop.fs.Path) null, false);

        /** Checkpoints in the local folder {@code checkpointDir}. */
        public Options(Path checkpointDir, boolean resume) {
            this(checkpointDir == null ? null : dev.carousel.store.Storage.local(checkpointDir), resume);
        }
    }

    public DistributedTrainer(JavaSparkContext sc, RunSetup setup, Options options) {
        this.sc = sc;
        this.setup = setup;
        this.config = setup.config();
        this.options = options;
        this.plan = RoundPlan.of(config, options.checkpointDir() != null);
        this.canonicalConfig = ConfigLoader.canonical(config);
        this.configHash = ConfigLoader.hash(config);
    }

    /** Shards of the generated task: one element per partition, holding only its coordinates. */
    public JavaRDD<Shard> generatedShards() {
        int n = config.distributed().partitions();
        List<Shard> shards = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            shards.add(new GeneratedShard(config.task().name(), config.task().length(), setup.dataSeed(), p));
        }
        return sc.parallelize(shards, n);
    }

    /** Trains on the config's generated task. */
    public TrainResult run(TrainingListener listener) {
        if (setup.files() != null) {
            throw new IllegalStateException("a file dataset trains from its shards: call run(shards, listener)");
        }
        return run(generatedShards(), listener);
    }

    /** Trains on the given shards (one per partition), e.g. {@code FileDataset.shards(...)}. */
    public TrainResult run(JavaRDD<Shard> shards, TrainingListener listener) {
        files = setup.files() == null ? null : sc.broadcast(setup.files());
        try {
            return train(shards, listener);
        } finally {
            if (files != null) {
                files.destroy();
            }
        }
    }

    private TrainResult train(JavaRDD<Shard> shards, TrainingListener listener) {
        long start = System.nanoTime();
        int n = config.distributed().partitions();
        if (shards.getNumPartitions() != n) {
            throw new IllegalArgumentException("distributed.partitions = " + n + " but the data has "
                    + shards.getNumPartitions() + " partitions");
        }
        long updates = config.training().updates();
        int sequencesPerUpdate = config.training().batchSize() * n;
        Optimizer optimizer = Optimizers.create(config.optimizer());

        Progress p = options.resume() && options.checkpointDir() != null
                ? Checkpoints.newest(options.checkpointDir(), sc.hadoopConfiguration(), config) : null;
        INDArray theta;
        OptimizerState state;
        List<CurvePoint> curve;
        SortedMap<Long, StepStats> stats;
        LocalTrainer.Window window;
        long update;
        if (p != null) {
            theta = p.theta();
            state = p.state();
            curve = new ArrayList<>(p.curve());
            stats = new TreeMap<>(p.stats());
            window = new LocalTrainer.Window(p.window());
            update = p.update();
        } else {
            theta = setup.initialParameters();
            state = optimizer.newState(theta);
            curve = new ArrayList<>();
            stats = new TreeMap<>();
            window = new LocalTrainer.Window();
            update = 0;
        }
        boolean fresh = p == null;
        boolean go = true;
        if (plan.evaluatesAlone(fresh)) {
            curve.add(validate(shards, theta, 0, window, sequencesPerUpdate));
            go = listener.onEvaluation(curve.get(0), updates);
        }

        RunStatus status = RunStatus.COMPLETED;
        long divergedAt = -1;
        List<RoundTiming> timings = new ArrayList<>();
        StepStats finalProbe = null; // of the final θ, when a job took it with other work
        for (RoundPlan.Job job = go ? plan.first(update, fresh) : null; job != null; job = plan.next(job)) {
            long roundStart = System.nanoTime();
            PartitionWork.Rounds out = runJob(shards, theta, state, job);
            List<RoundSum.Node> results = out.rounds();
            if (job.scoreBefore()) { // the evaluation of θ before this job: read before, and perhaps instead of, its rounds
                CurvePoint point = curvePoint(results.get(0).validation(), update, window, sequencesPerUpdate);
                curve.add(point);
                if (update == 0) { // as the local trainer: the initial evaluation may stop the run, never diverge it
                    go = listener.onEvaluation(point, updates);
                } else {
                    status = evaluated(point, listener, updates);
                    go = status == RunStatus.COMPLETED;
                    divergedAt = status == RunStatus.DIVERGED ? update : divergedAt;
                }
                if (!go) {
                    break; // the run ends at θ as scored; this job's rounds are not applied
                }
            }
            // One result per round, applied in order as separate jobs' would be. Only the last finished round of a
            // job carries θ and the optimiser state; the optimiser's step count catches up there.
            int unapplied = 0;
            RoundSum.Compute compute = null;
            for (int i = 0; i < results.size(); i++) {
                RoundSum.Node total = results.get(i);
                if (total.divergedAt() >= 0) {
                    status = RunStatus.DIVERGED;
                    divergedAt = total.divergedAt();
                    break; // θ keeps the last finite average; nothing diverged is averaged in
                }
                int k = job.rounds().get(i);
                unapplied += k;
                if (total.theta() != null) {
                    theta = FlatArray.of(theta).like(total.theta()).toINDArray();
                    state = nextState(state, total, unapplied, config.distributed().optimizerState());
                    unapplied = 0;
                }
                stats.putAll(total.stats());
                window.add(total.losses(), total.gradNorms());
                compute = compute == null ? total.compute() : compute.plusInSequence(total.compute());
                update += k;
            }
            if (unapplied != 0) {
                throw new IllegalStateException("rounds from update " + job.firstUpdate()
                        + ": no result carries θ after update " + update);
            }
            if (status == RunStatus.DIVERGED) {
                break;
            }
            finalProbe = out.finalProbe();
            compute = compute.plusInSequence(out.after());
            timings.add(new RoundTiming(job.firstUpdate(), job.steps(), n, System.nanoTime() - roundStart,
                    compute.wallMax(), compute.wallSum(), compute.cpuMax(), compute.cpuSum()));
            CurvePoint point = switch (job.evaluation()) {
                case NONE, NEXT_JOB -> null; // NEXT_JOB: scored by the next job's tasks
                case IN_TASK -> curvePoint(List.of(out.validation()), update, window, sequencesPerUpdate);
                case WITH_FINAL_PROBE -> {
                    RoundSum.Node last = aggregate(shards, theta, state, update, 0, true, true);
                    finalProbe = last.stats().get(update);
                    yield curvePoint(last.validation(), update, window, sequencesPerUpdate);
                }
                case OWN_JOB -> validate(shards, theta, update, window, sequencesPerUpdate);
            };
            if (point != null) {
                curve.add(point);
                status = evaluated(point, listener, updates);
                go = status == RunStatus.COMPLETED;
                if (status == RunStatus.DIVERGED) {
                    divergedAt = update;
                    break;
                }
            }
            if (job.checkpoint()) {
                Checkpoints.write(options.checkpointDir(), sc.hadoopConfiguration(), setup, job.endRound(),
                        new Progress(theta, state, update, curve, stats, window.sums()));
            }
            if (!go) {
                break;
            }
        }
        if (status != RunStatus.DIVERGED && plan.probesFinal()) { // the final parameters
            if (finalProbe != null) {
                stats.put(update, finalProbe);
            } else {
                stats.putAll(aggregate(shards, theta, state, update, 0, true, false).stats());
            }
        }
        double wall = (System.nanoTime() - start) / 1e9;
        return new TrainResult(config, theta, state, curve, stats, status, update, divergedAt, wall, List.copyOf(timings));
    }

    /**
     * Runs {@code job}: its rounds back to back in one task ({@link #roundsBackToBack}), or its one round over all
     * partitions ({@link #aggregate}), whose result then stands alone.
     */
    private PartitionWork.Rounds runJob(JavaRDD<Shard> shards, INDArray theta, OptimizerState state, RoundPlan.Job job) {
        if (plan.backToBack()) {
            return roundsBackToBack(shards, theta, state, job);
        }
        RoundSum.Node round = aggregate(shards, theta, state, job.firstUpdate(), job.steps(), false, job.scoreBefore());
        return new PartitionWork.Rounds(List.of(round), null, null, RoundSum.Compute.of(0, 0));
    }

    /**
     * What an evaluation's point does to the run: DIVERGED if its validation loss is not finite, STOPPED if the
     * listener says stop, else COMPLETED (go on).
     */
    private static RunStatus evaluated(CurvePoint point, TrainingListener listener, long updates) {
        if (!Double.isFinite(point.validationLoss())) {
            return RunStatus.DIVERGED;
        }
        return listener.onEvaluation(point, updates) ? RunStatus.COMPLETED : RunStatus.STOPPED;
    }

    /**
     * The rounds of a one-partition {@code job} as one Spark job ({@link PartitionWork#rounds}): one result per round,
     * in order, the last finished one carrying θ and the state; then, in the same task, the final probe and the
     * evaluation due at the job's end, if the plan puts them there. That saves the driver a job for each: with one
     * partition they would run on the same θ in the same kind of task. When the job scores θ before its rounds (the
     * evaluation at update 0), the first round's result carries the scores.
     */
    PartitionWork.Rounds roundsBackToBack(JavaRDD<Shard> shards, INDArray theta, OptimizerState state, RoundPlan.Job job) {
        if (shards.getNumPartitions() != 1) {
            throw new IllegalStateException("rounds run back to back only with one partition");
        }
        long firstUpdate = job.firstUpdate();
        int total = job.steps();
        Shipped shipped = ship(sc, input(theta).state(state).firstUpdate(firstUpdate).steps(total)
                .roundSteps(config.distributed().localSteps()).probeAfter(job.probeInTask())
                .validateAfter(job.evaluation() == RoundPlan.Scoring.IN_TASK).validateBefore(job.scoreBefore()).build());
        try {
            List<PartitionWork.Rounds> out = new ArrayList<>(1);
            Jobs.run(sc, (job.rounds().size() == 1 ? "round at update " + firstUpdate
                            : "rounds at updates " + firstUpdate + "-" + (firstUpdate + total - 1)), shards,
                    shard -> PartitionWork.rounds(shipped.value(), shard), (partition, parts) -> out.addAll(parts));
            return out.get(0);
        } finally {
            shipped.release();
        }
    }

    /** The round input of θ under this run's config and dataset; the caller names the rest. */
    private RoundInput.Builder input(INDArray theta) {
        return RoundInput.builder(canonicalConfig, configHash, FlatArray.of(theta)).files(files);
    }

    /**
     * One round (or, with steps = 0, a pass that only probes and, with {@code validateBefore}, scores θ) over all
     * partitions, each partition first scoring θ as received when {@code validateBefore} (the scores come back in
     * {@link RoundSum.Node#validation}): ship the input ({@link #ship}), one job, release the input. The job
     * is a {@code treeAggregate} when its tree would merge on executors (many partitions), else a plain
     * {@code runJob} whose partition results the driver merges ({@link Jobs}: a third of the scheduling cost);
     * either way {@link RoundSum} fixes the order of the sums, so both give the same bits.
     */
    RoundSum.Node aggregate(JavaRDD<Shard> shards, INDArray theta, OptimizerState state, long firstUpdate, int steps,
                            boolean probeAfter, boolean validateBefore) {
        int n = shards.getNumPartitions();
        Shipped shipped = ship(sc, input(theta).state(state).firstUpdate(firstUpdate).steps(steps).probeAfter(probeAfter)
                .validateBefore(validateBefore).partitions(n).build());
        try {
            RoundStep step = new RoundStep(shipped);
            int depth = config.distributed().aggregationDepth();
            if (treeMergesOnExecutors(n, depth)) {
                return shards.treeAggregate(RoundSum.empty(n), step, RoundSum::merge, depth).total();
            }
            RoundSum sum = RoundSum.empty(n);
            Jobs.run(sc, (steps == 0 ? "probe" : "round") + " at update " + firstUpdate, shards,
                    shard -> step.call(RoundSum.empty(n), shard), (partition, parts) -> parts.forEach(sum::merge));
            return sum.total();
        } finally {
            shipped.release();
        }
    }

    /**
     * Round inputs up to this many bytes (θ, optimiser state, config) travel inside the job's task binary; larger
     * ones as a broadcast of their own, destroyed when the round ends. Spark broadcasts every stage's task binary
     * anyway (fetched once per executor, like any broadcast), so for a small model a second broadcast only adds
     * its creation, fetch and destruction to every round. A large θ stays out of the task binary: Spark frees task
     * binaries only when the driver's garbage collector gets to them, and warns above 1 MiB. Measured on rounds of
     * one local step of the default sweep's cell (local[2], 399 rounds, BENCHMARKS.md): 15.7–16.5 ms outside
     * local compute inline against 18.8–20.7 ms with the broadcast. The system property
     * {@code carousel.inlineRoundInputBytes} changes the limit (0: always broadcast), for such comparisons.
     */
    static final long INLINE_ROUND_INPUT_BYTES = Long.getLong("carousel.inlineRoundInputBytes", 512 * 1024);

    static Shipped ship(JavaSparkContext sc, RoundInput input) {
        long bytes = 2L * input.config().length() + input.theta().byteSize();
        for (FlatArray a : input.stateBuffers()) {
            bytes += a.byteSize();
        }
        return bytes <= INLINE_ROUND_INPUT_BYTES ? new Shipped(null, input) : new Shipped(sc.broadcast(input), null);
    }

    /** A round's input as tasks get it: inside the task binary ({@code inline}) or as a broadcast. */
    record Shipped(Broadcast<RoundInput> broadcast, RoundInput inline) implements java.io.Serializable {
        RoundInput value() {
            return inline != null ? inline : broadcast.value();
        }

        void release() {
            if (broadcast != null) {
                broadcast.destroy();
            }
        }
    }

    /**
     * Whether Spark's {@code treeAggregate} of depth {@code depth} over {@code n} partitions adds a level of merges on
     * executors (its own test: with scale = max(⌈n^(1/depth)⌉, 2), while n > scale + ⌈n / scale⌉). If not, it only
     * sends every partition's result to the driver, which {@link Jobs#run} does for less.
     */
    static boolean treeMergesOnExecutors(int n, int depth) {
        return !ScalingModel.treeLevels(n, depth).isEmpty();
    }

    private OptimizerState nextState(OptimizerState old, RoundSum.Node total, int steps, CarouselConfig.OptimizerStateMode mode) {
        Map<String, INDArray> buffers = new LinkedHashMap<>();
        int i = 0;
        for (String name : old.names()) {
            buffers.put(name, FlatArray.of(old.get(name)).like(total.state()[i++]).toINDArray());
        }
        OptimizerState next = OptimizerState.of(buffers, old.step() + steps);
        if (mode == CarouselConfig.OptimizerStateMode.RESET) {
            next.reset();
        }
        return next;
    }

    /**
     * The seqOp of a round: runs the partition's local steps and adds its leaf. It holds the round input itself
     * only when that is small; a large model's θ travels as a broadcast and the function holds the handle.
     */
    record RoundStep(Shipped input) implements Function2<RoundSum, Shard, RoundSum> {
        @Override
        public RoundSum call(RoundSum acc, Shard shard) {
            return acc.add(shard.partition(), PartitionWork.round(input.value(), shard));
        }
    }

    /** Distributed validation: each partition scores a contiguous range of held-out sequences; summed in partition order. */
    private CurvePoint validate(JavaRDD<Shard> shards, INDArray theta, long update, LocalTrainer.Window window,
                                int sequencesPerUpdate) {
        int n = shards.getNumPartitions();
        Shipped shipped = ship(sc, input(theta).firstUpdate(update).partitions(n).build());
        List<double[]> parts = new ArrayList<>();
        try {
            Jobs.run(sc, "validation at update " + update, shards,
                    shard -> PartitionWork.validate(shipped.value(), shard.partition(), n), (partition, r) -> parts.addAll(r));
        } finally {
            shipped.release();
        }
        return curvePoint(parts, update, window, sequencesPerUpdate);
    }

    /** The curve point of validation results {partition, loss sum, metric sum, sequences}, summed in partition order. */
    private static CurvePoint curvePoint(List<double[]> results, long update, LocalTrainer.Window window,
                                         int sequencesPerUpdate) {
        List<double[]> parts = new ArrayList<>(results);
        parts.sort(Comparator.comparingDouble(a -> a[0]));
        double loss = 0;
        double metric = 0;
        double count = 0;
        for (double[] a : parts) {
            loss += a[1];
            metric += a[2];
            count += a[3];
        }
        // sequences seen counts every partition's batches: batch size × partitions per update
        return window.close(update, sequencesPerUpdate, loss / count, metric / count);
    }

    /** Training progress as saved in a checkpoint. */
    record Progress(INDArray theta, OptimizerState state, long update, List<CurvePoint> curve,
                    SortedMap<Long, StepStats> stats, double[] window) {}

}
