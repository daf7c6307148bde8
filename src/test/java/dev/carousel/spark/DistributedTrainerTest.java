package dev.carousel.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.data.SequenceBatch;
import dev.carousel.nn.RecurrentNetwork;
import dev.carousel.stats.StepStats;
import dev.carousel.stats.StepSummary;
import dev.carousel.train.CurvePoint;
import dev.carousel.train.LocalTrainer;
import dev.carousel.train.RoundTiming;
import dev.carousel.train.RunSetup;
import dev.carousel.train.RunStatus;
import dev.carousel.train.TrainResult;
import dev.carousel.train.TrainingListener;
import dev.carousel.nn.Probe;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Synchronous parameter averaging on real Spark (local[2]): equivalences, determinism, resume. */
class DistributedTrainerTest {
    static SparkSession spark;
    static JavaSparkContext sc;

    static final String BASE = "seed = 5\ntask { name = adding, length = 12, validation-sequences = 30 }\n"
            + "model.hidden = 8\ntraining { batch-size = 4, updates = 12, eval-every = 4 }\nprobes.every = 4\n"
            + "distributed.local-steps = 1\n";

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("distributed-trainer-test")
                .config("spark.ui.enabled", "false").getOrCreate();
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static CarouselConfig config(String extra) {
        return ConfigLoader.parse(BASE + extra, "test");
    }

    static TrainResult distributed(CarouselConfig cfg, DistributedTrainer.Options options) {
        return new DistributedTrainer(sc, RunSetup.of(cfg), options).run(TrainingListener.NONE);
    }

    /**
     * θ, the optimiser state, the curve, the statistics and the outcome of {@code a} and {@code b} are the same bits
     * (float32 and float64 values alike compared as the bits of their double values, so −0.0 differs from 0.0).
     */
    static void assertBitIdentical(TrainResult a, TrainResult b) {
        assertArrayEquals(bits(a.parameters()), bits(b.parameters()), "parameters");
        assertEquals(a.optimizerState().names(), b.optimizerState().names());
        for (String name : a.optimizerState().names()) {
            assertArrayEquals(bits(a.optimizerState().get(name)), bits(b.optimizerState().get(name)), "optimizer " + name);
        }
        assertEquals(a.optimizerState().step(), b.optimizerState().step());
        assertEquals(a.curve(), b.curve(), "curve");
        assertEquals(a.stepStats().keySet(), b.stepStats().keySet(), "probed updates");
        for (Map.Entry<Long, StepStats> e : a.stepStats().entrySet()) {
            assertArrayEquals(e.getValue().toByteArray(), b.stepStats().get(e.getKey()).toByteArray(),
                    "statistics at update " + e.getKey());
        }
        assertEquals(a.status(), b.status());
        assertEquals(a.updates(), b.updates());
        assertEquals(a.divergedAt(), b.divergedAt());
    }

    private static long[] bits(INDArray a) {
        return java.util.Arrays.stream(a.data().asDouble()).mapToLong(Double::doubleToLongBits).toArray();
    }

    @Test
    void onePartitionEqualsTheLocalTrainerBitForBit() {
        CarouselConfig cfg = config("");
        assertBitIdentical(LocalTrainer.train(cfg, TrainingListener.NONE), distributed(cfg, DistributedTrainer.Options.NONE));
        // Several local steps per round still match when evaluations fall on round boundaries.
        CarouselConfig k3 = config("distributed.local-steps = 3\ntraining.eval-every = 6\n");
        assertBitIdentical(LocalTrainer.train(k3, TrainingListener.NONE), distributed(k3, DistributedTrainer.Options.NONE));
    }

    /** Averaging plain-SGD steps of N partitions is one SGD step on their merged batch. */
    @Test
    void sgdAveragedEveryStepEqualsOneMachineOnTheMergedBatch() {
        int n = 4;
        CarouselConfig cfg = config("distributed.partitions = " + n + "\nmodel.precision = float64\n"
                + "optimizer { name = sgd, momentum = 0.0, learning-rate = 0.1 }\ntraining.updates = 6\n");
        TrainResult dist = distributed(cfg, DistributedTrainer.Options.NONE);

        RunSetup setup = RunSetup.of(cfg);
        INDArray theta = setup.initialParameters();
        RecurrentNetwork net = new RecurrentNetwork(setup.spec());
        INDArray grad = Nd4j.create(DataType.DOUBLE, theta.length());
        for (long u = 0; u < 6; u++) {
            net.lossAndGradient(theta, merged(setup, u, n), grad, false);
            theta.subi(grad.muli(0.1));
        }
        double[] expected = theta.data().asDouble();
        double[] actual = dist.parameters().data().asDouble();
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / Math.max(Math.abs(expected[i]), 1e-12));
        }
        System.out.printf("N=%d SGD vs merged batch: max relative difference %.2e%n", n, worst);
        // Not bit-exact: the merged batch sums the 4·B per-sequence gradients in one order, the average sums each
        // partition's B and then the 4 partial means, so float64 rounding differs in the last bits (measured: 9.6e-16
        // relative after 6 steps). 1e-12 leaves room for that and catches any real difference in the update.
        assertTrue(worst < 1e-12, "max relative difference " + worst);
    }

    /** The batch of all N partitions' minibatches {@code index}, one after another. */
    static SequenceBatch merged(RunSetup setup, long index, int n) {
        SequenceBatch first = setup.trainingBatch(0, index);
        int t = first.steps();
        int b = first.batchSize();
        int i = first.inputSize();
        int o = first.outputSize();
        double[] x = new double[t * b * n * i];
        double[] y = new double[t * b * n * o];
        for (int p = 0; p < n; p++) {
            SequenceBatch part = setup.trainingBatch(p, index);
            for (int s = 0; s < t; s++) {
                System.arraycopy(part.inputs(), s * b * i, x, (s * b * n + p * b) * i, b * i);
                System.arraycopy(part.targets(), s * b * o, y, (s * b * n + p * b) * o, b * o);
            }
        }
        return new SequenceBatch(t, b * n, i, o, x, y, first.supervision());
    }

    /**
     * Three partitions on two cores, twice with a straggler ({@link SlowShard}, 400 ms at the start of each round):
     * partition 0, then partition 1. The driver sees the tasks of every round end in a different order in the two
     * runs (the straggler last), and the results are bit for bit those of a run without one.
     */
    @Test
    void sameSeedIsBitIdenticalWhateverOrderTasksFinishIn() {
        CarouselConfig cfg = config("distributed { partitions = 3, local-steps = 2 }\n");
        DistributedTrainer trainer = new DistributedTrainer(sc, RunSetup.of(cfg), DistributedTrainer.Options.NONE);
        Finished plain = finishing(() -> trainer.run(TrainingListener.NONE));
        Finished firstIsLast = finishing(() -> trainer.run(SlowShard.straggling(sc, trainer, 0, 2, 400), TrainingListener.NONE));
        Finished secondIsLast = finishing(() -> trainer.run(SlowShard.straggling(sc, trainer, 1, 2, 400), TrainingListener.NONE));
        System.out.println("task end order of each round: no straggler " + plain.rounds() + ", partition 0 slow "
                + firstIsLast.rounds() + ", partition 1 slow " + secondIsLast.rounds());
        assertEquals(6, firstIsLast.rounds().size(), "12 updates in rounds of 2");
        assertEquals(java.util.Collections.nCopies(6, 0), firstIsLast.lastPerRound(), "partition 0 ends every round");
        assertEquals(java.util.Collections.nCopies(6, 1), secondIsLast.lastPerRound(), "partition 1 ends every round");
        assertBitIdentical(plain.result(), firstIsLast.result());
        assertBitIdentical(plain.result(), secondIsLast.result());
    }

    /**
     * A run's result and, for each of its training rounds in order, the partitions of its tasks in the order their
     * ends reached the driver (the order it merged their results in).
     */
    record Finished(TrainResult result, java.util.List<java.util.List<Integer>> rounds) {
        java.util.List<Integer> lastPerRound() {
            return rounds.stream().map(r -> r.get(r.size() - 1)).toList();
        }
    }

    /** {@code run}'s result, with the order its rounds' tasks ended in, as a Spark listener on the driver saw it. */
    static Finished finishing(java.util.function.Supplier<TrainResult> run) {
        TaskEnds ends = new TaskEnds();
        sc.sc().addSparkListener(ends);
        try {
            TrainResult r = run.get();
            sc.sc().listenerBus().waitUntilEmpty(); // listener events are delivered asynchronously
            return new Finished(r, ends.rounds());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the listener bus did not drain", e);
        } finally {
            sc.sc().removeSparkListener(ends);
        }
    }

    /** Task ends by stage, in the order the driver handled them, and the stages' names. */
    static final class TaskEnds extends SparkListener {
        private final Map<Integer, String> names = new java.util.concurrent.ConcurrentHashMap<>();
        private final Map<Integer, java.util.List<Integer>> ends = java.util.Collections.synchronizedMap(
                new java.util.TreeMap<>());

        @Override
        public void onStageSubmitted(SparkListenerStageSubmitted e) {
            names.put(e.stageInfo().stageId(), e.stageInfo().name());
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            ends.computeIfAbsent(e.stageId(), s -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(e.taskInfo().index());
        }

        /** The partitions of each training round's tasks (stages named "round at update …"), in order of ending. */
        java.util.List<java.util.List<Integer>> rounds() {
            synchronized (ends) {
                return ends.entrySet().stream().filter(e -> names.getOrDefault(e.getKey(), "").startsWith("round at update"))
                        .map(e -> java.util.List.copyOf(e.getValue())).toList();
            }
        }
    }

    /**
     * With 9 partitions (6 or more) a depth-2 treeAggregate merges on executors; at depth 1 the driver merges the partition
     * results of a plain job. The fixed summation tree makes both the same bits.
     */
    @Test
    void mergingOnExecutorsOrOnTheDriverGivesTheSameBits() {
        assertTrue(DistributedTrainer.treeMergesOnExecutors(9, 2));
        assertTrue(DistributedTrainer.treeMergesOnExecutors(100, 2));
        assertTrue(DistributedTrainer.treeMergesOnExecutors(6, 2));
        for (int n = 1; n <= 5; n++) {
            assertFalse(DistributedTrainer.treeMergesOnExecutors(n, 2), "n = " + n);
        }
        assertFalse(DistributedTrainer.treeMergesOnExecutors(1000, 1));
        String common = "distributed { partitions = 9, local-steps = 2 }\ntraining { updates = 4, batch-size = 4 }\n";
        TrainResult tree = distributed(config(common + "distributed.aggregation-depth = 2\n"), DistributedTrainer.Options.NONE);
        TrainResult driver = distributed(config(common + "distributed.aggregation-depth = 1\n"), DistributedTrainer.Options.NONE);
        assertBitIdentical(tree, driver);
    }

    @Test
    void statisticsMergedAcrossPartitionsEqualOneRecordOfTheSameSequences() {
        int n = 3;
        CarouselConfig cfg = config("distributed.partitions = " + n + "\ntraining.updates = 1\n");
        TrainResult dist = distributed(cfg, DistributedTrainer.Options.NONE);
        StepStats merged = dist.stepStats().get(0L);

        RunSetup setup = RunSetup.of(cfg);
        RecurrentNetwork net = new RecurrentNetwork(setup.spec());
        INDArray theta = setup.initialParameters();
        StepStats single = new StepStats(merged.steps(), merged.probes());
        for (int p = 0; p < n; p++) {
            single.record(net.lossAndGradient(theta, setup.trainingBatch(p, 0), Nd4j.create(theta.dataType(), theta.length()),
                    true).probes());
        }
        for (Probe probe : merged.probes()) {
            for (int t = 0; t < merged.steps(); t++) {
                StepSummary a = single.summary(probe, t);
                StepSummary b = merged.summary(probe, t);
                assertEquals(a.count(), b.count());
                assertEquals(a.skipped(), b.skipped());
                if (a.count() == 0) { // every value was −∞ (e.g. dwh_step at t = 0, where h_{−1} = 0)
                    assertTrue(Double.isNaN(b.mean()));
                    continue;
                }
                assertEquals(a.min(), b.min(), 0.0);
                assertEquals(a.max(), b.max(), 0.0);
                assertEquals(a.mean(), b.mean(), 1e-12 * Math.max(1, Math.abs(a.mean())));
                assertEquals(a.std(), b.std(), 1e-9 * Math.max(1, Math.abs(a.std())));
                // Quantiles depend only on the values merged (kept, or counted in buckets), so they agree exactly.
                assertEquals(a.p50(), b.p50(), 0.0);
            }
        }
    }

    @Test
    void aDivergedPartitionIsNeverAveragedIn() {
        CarouselConfig cfg = ConfigLoader.parse("task { name = adding, length = 30, validation-sequences = 16 }\n"
                + "model { cell = rnn, hidden = 16, rnn-gain = 3.0 }\n"
                + "optimizer { name = sgd, learning-rate = 10.0, momentum = 0.0 }\n"
                + "training { batch-size = 4, updates = 200, eval-every = 50 }\ndistributed.partitions = 2\n", "test");
        TrainResult r = distributed(cfg, DistributedTrainer.Options.NONE);
        assertEquals(RunStatus.DIVERGED, r.status());
        assertTrue(r.divergedAt() >= 0 && r.divergedAt() < 200);
        for (double v : r.parameters().data().asDouble()) {
            assertTrue(Double.isFinite(v), "a non-finite value was averaged into θ");
        }
    }

    @Test
    void resumingFromACheckpointReachesTheUninterruptedResult(@TempDir Path dir) {
        CarouselConfig cfg = config("distributed { partitions = 2, local-steps = 2, checkpoint-every = 1 }\n");
        TrainResult uninterrupted = distributed(cfg, DistributedTrainer.Options.NONE);
        // Interrupt after the evaluation at update 4 (round 2, which has just been checkpointed).
        RunSetup setup = RunSetup.of(cfg);
        TrainResult stopped = new DistributedTrainer(sc, setup, new DistributedTrainer.Options(dir, false))
                .run((point, total) -> point.update() < 4);
        assertEquals(RunStatus.STOPPED, stopped.status());
        assertEquals(4, stopped.updates());
        TrainResult resumed = new DistributedTrainer(sc, setup, new DistributedTrainer.Options(dir, true))
                .run(TrainingListener.NONE);
        assertBitIdentical(uninterrupted, resumed);

        // Evaluations at 3 and 9 ride in the tasks of rounds 4 and 10 (no checkpoint follows rounds 3 and 9); the
        // checkpoint after round 6 holds the point scored in round 4's job. Resuming from it changes nothing.
        CarouselConfig odd = config("distributed { partitions = 2, checkpoint-every = 2 }\ntraining.eval-every = 3\n");
        TrainResult whole = distributed(odd, DistributedTrainer.Options.NONE);
        RunSetup oddSetup = RunSetup.of(odd);
        Path oddDir = dir.resolve("odd");
        TrainResult atSix = new DistributedTrainer(sc, oddSetup, new DistributedTrainer.Options(oddDir, false))
                .run((point, total) -> point.update() < 6);
        assertEquals(6, atSix.updates());
        assertEquals(java.util.List.of(0L, 3L, 6L), atSix.curve().stream().map(p -> p.update()).toList());
        assertBitIdentical(whole, new DistributedTrainer(sc, oddSetup, new DistributedTrainer.Options(oddDir, true))
                .run(TrainingListener.NONE));
    }

    /** Every training round reports its driver wall time and its partitions' compute, which fits inside it. */
    @Test
    void roundTimingsArePresentPositiveAndComputeFitsInTheRound() {
        CarouselConfig cfg = config("distributed { partitions = 2, local-steps = 3 }\n");
        TrainResult r = distributed(cfg, DistributedTrainer.Options.NONE);
        assertEquals(4, r.roundTimings().size(), "12 updates in rounds of 3");
        long next = 0;
        for (RoundTiming t : r.roundTimings()) {
            String where = t.toString();
            assertEquals(next, t.firstUpdate(), where);
            assertEquals(3, t.steps(), where);
            assertEquals(2, t.partitions(), where);
            next += t.steps();
            assertTrue(t.computeWallMax() > 0 && t.computeCpuMax() > 0, where);
            // Both partitions report their compute: the sum exceeds the slowest one's alone.
            assertTrue(t.computeWallSum() > t.computeWallMax(), where);
            assertTrue(t.computeCpuSum() > t.computeCpuMax(), where);
            assertTrue(t.computeWallMax() <= t.wallNanos(), "slowest partition's compute exceeds the round: " + where);
            assertTrue(t.computeCpuMax() <= t.wallNanos(), where);
            assertTrue(t.outsideComputeShare() >= 0 && t.outsideComputeShare() < 1, where);
        }
        assertEquals(12, next);
        assertTrue(LocalTrainer.train(config(""), TrainingListener.NONE).roundTimings().isEmpty(), "the local trainer has no rounds");
    }

    /**
     * With one partition, the rounds up to the next evaluation, checkpoint or the end run as one Spark job
     * ({@link RoundPlanTest} has the schedules); a checkpoint after every round makes every round a job of its own.
     * The results are the same bits either way.
     */
    @Test
    void onePartitionRunsTheRoundsBetweenEvaluationsAsOneJob(@TempDir Path dir) {
        CarouselConfig k3 = config("distributed.local-steps = 3\ntraining.eval-every = 6\n");
        TrainResult jobs = new DistributedTrainer(sc, RunSetup.of(k3), DistributedTrainer.Options.NONE)
                .run(TrainingListener.NONE);
        assertEquals(java.util.List.of(0L, 6L), jobs.roundTimings().stream().map(RoundTiming::firstUpdate).toList());
        assertEquals(java.util.List.of(6, 6), jobs.roundTimings().stream().map(RoundTiming::steps).toList());

        CarouselConfig ck = config("distributed { local-steps = 3, checkpoint-every = 1 }\ntraining.eval-every = 6\n");
        TrainResult rounds = new DistributedTrainer(sc, RunSetup.of(ck),
                new DistributedTrainer.Options(dir.resolve("ck"), false)).run(TrainingListener.NONE);
        assertEquals(4, rounds.roundTimings().size());
        assertBitIdentical(jobs, rounds);
    }

    /**
     * With one partition a job scores θ as received when the evaluation at update 0 is due, then runs its rounds,
     * the evaluation due at its end and, last, the final probe: 12 updates evaluated every 4 take 3 Spark jobs, one per
     * 4 updates, where one job per round, validation and probe took 17. The results are the local trainer's, bit for
     * bit.
     */
    @Test
    void onePartitionFoldsEvaluationsAndTheFinalProbeIntoItsJobs() {
        CarouselConfig cfg = config("");
        TrainResult r = countingJobs(3, "jobs of a 12-update run", () -> distributed(cfg, DistributedTrainer.Options.NONE));
        assertEquals(java.util.List.of(0L, 4L, 8L, 12L), r.curve().stream().map(p -> p.update()).toList());
        assertEquals(java.util.Set.of(0L, 4L, 8L, 12L), r.stepStats().keySet(), "probed every 4 and at the end");
        assertBitIdentical(LocalTrainer.train(cfg, TrainingListener.NONE), r);
    }

    /**
     * With N partitions an evaluation rides in the next round's tasks, which score the θ they receive before their
     * local steps, and the last one in the final probe's job: 12 one-step rounds evaluated every 4 take 13 jobs (12
     * rounds, then the last evaluation with the probe), where separate evaluation and probe jobs made 17. A
     * checkpoint after every round keeps the evaluations after rounds 4 and 8 in jobs of their own (the checkpoint
     * holds the curve up to them); both runs give the same bits. The evaluations at 0 and 12, folded in both runs,
     * equal the partitions' scores taken on the driver and summed in partition order, as a validation job's are.
     */
    @Test
    void severalPartitionsScoreEvaluationsInTheNextRoundsTasks(@TempDir Path dir) {
        CarouselConfig cfg = config("distributed.partitions = 2\n");
        TrainResult folded = countingJobs(13, "jobs of a 12-round run",
                () -> distributed(cfg, DistributedTrainer.Options.NONE));
        assertEquals(java.util.List.of(0L, 4L, 8L, 12L), folded.curve().stream().map(p -> p.update()).toList());
        assertEquals(java.util.Set.of(0L, 4L, 8L, 12L), folded.stepStats().keySet(), "probed every 4 and at the end");
        assertArrayEquals(scoredApart(cfg, RunSetup.of(cfg).initialParameters()), scores(folded.curve().get(0)), 0.0,
                "update 0, scored in the first round's tasks");
        assertArrayEquals(scoredApart(cfg, folded.parameters()), scores(folded.curve().get(3)), 0.0,
                "update 12, scored in the final probe's job");

        CarouselConfig ck = config("distributed { partitions = 2, checkpoint-every = 1 }\n");
        TrainResult own = countingJobs(15, "with a checkpoint after every round",
                () -> distributed(ck, new DistributedTrainer.Options(dir.resolve("ck"), false)));
        assertBitIdentical(own, folded);

        // Without probes the last evaluation is a job of its own: 12 rounds and 1.
        TrainResult unprobed = countingJobs(13, "jobs without probes",
                () -> distributed(config("distributed.partitions = 2\nprobes.enabled = false\n"), DistributedTrainer.Options.NONE));
        assertEquals(folded.curve(), unprobed.curve(), "probes do not touch the curve");
    }

    /** {validation loss, metric} of θ from each partition's scores, summed in partition order as the driver sums them. */
    private static double[] scoredApart(CarouselConfig c, INDArray theta) {
        int n = c.distributed().partitions();
        RoundInput in = RoundInput.builder(ConfigLoader.canonical(c), ConfigLoader.hash(c), FlatArray.of(theta))
                .partitions(n).build();
        double loss = 0;
        double metric = 0;
        double count = 0;
        for (int p = 0; p < n; p++) {
            double[] sums = PartitionWork.validate(in, p, n);
            loss += sums[1];
            metric += sums[2];
            count += sums[3];
        }
        return new double[] {loss / count, metric / count};
    }

    private static double[] scores(CurvePoint p) {
        return new double[] {p.validationLoss(), p.validationMetric()};
    }

    /**
     * An evaluation scored in the next round's tasks can still end the run: the round it rode in is then dropped. A
     * listener stopping at update 4 leaves θ, the curve and the statistics of a run whose evaluation at 4 ran as a
     * job of its own (kept apart by a checkpoint after every round); one stopping at update 0 leaves the initial
     * parameters, the one point scored and, as the local trainer, the status COMPLETED.
     */
    @Test
    void anEvaluationThatStopsTheRunDropsTheRoundItRodeIn(@TempDir Path dir) {
        CarouselConfig cfg = config("distributed.partitions = 2\n");
        TrainingListener atFour = (point, updates) -> point.update() < 4;
        TrainResult folded = new DistributedTrainer(sc, RunSetup.of(cfg), DistributedTrainer.Options.NONE).run(atFour);
        CarouselConfig ck = config("distributed { partitions = 2, checkpoint-every = 1 }\n");
        TrainResult own = new DistributedTrainer(sc, RunSetup.of(ck),
                new DistributedTrainer.Options(dir.resolve("ck"), false)).run(atFour);
        assertEquals(4, folded.updates());
        assertEquals(RunStatus.STOPPED, folded.status());
        assertBitIdentical(own, folded);

        TrainResult atZero = new DistributedTrainer(sc, RunSetup.of(cfg), DistributedTrainer.Options.NONE)
                .run((point, updates) -> false);
        assertEquals(0, atZero.updates());
        assertEquals(RunStatus.COMPLETED, atZero.status());
        INDArray theta0 = RunSetup.of(cfg).initialParameters();
        assertArrayEquals(theta0.data().asDouble(), atZero.parameters().data().asDouble(), 0.0, "no round applied");
        assertEquals(1, atZero.curve().size());
        assertArrayEquals(scoredApart(cfg, theta0), scores(atZero.curve().get(0)), 0.0);
        assertEquals(java.util.Set.of(0L), atZero.stepStats().keySet(), "the final probe, of θ at update 0");
    }

    /** {@code run()}'s result, asserting it took {@code expected} Spark jobs. */
    private static TrainResult countingJobs(int expected, String what, java.util.function.Supplier<TrainResult> run) {
        String group = "count-" + System.nanoTime();
        sc.setJobGroup(group, "counting jobs", false);
        TrainResult r;
        try {
            r = run.get();
        } finally {
            sc.clearJobGroup();
        }
        assertEquals(expected, sc.statusTracker().getJobIdsForGroup(group).length, what);
        return r;
    }

    /** Compute times merge as sums and maxima, whatever order partitions arrive in, and leave the sums alone. */
    @Test
    void computeTimesMergeBySumAndMaxInAnyOrder() {
        long[][] times = {{5, 2}, {9, 1}, {7, 8}};
        for (int[] order : new int[][] {{0, 1, 2}, {2, 1, 0}, {1, 2, 0}}) {
            RoundSum sum = RoundSum.empty(3);
            for (int p : order) {
                sum.add(p, new RoundSum.Node(new double[] {p}, new double[0][], new double[0], new double[0],
                        new java.util.TreeMap<>(), -1, 1, RoundSum.Compute.of(times[p][0], times[p][1]), java.util.List.of()));
            }
            RoundSum.Node total = sum.total();
            assertEquals(new RoundSum.Compute(21, 9, 11, 8), total.compute());
            assertArrayEquals(new double[] {3}, total.theta(), 0.0);
        }
    }

    /**
     * A large model's weights travel by broadcast: the task's function holds a broadcast handle, not θ. A small
     * model's round input rides in the function itself (Spark broadcasts the stage's task binary anyway).
     */
    @Test
    void largeModelsTravelByBroadcastSmallOnesInline() throws IOException {
        CarouselConfig big = config("model.hidden = 512\n");
        long parameters = RunSetup.of(big).spec().layout().count();
        RoundInput input = roundInput(big);
        DistributedTrainer.Shipped shipped = DistributedTrainer.ship(sc, input);
        try {
            assertNotNull(shipped.broadcast(), "a " + parameters + "-parameter model is broadcast");
            int closure = serializedSize(new DistributedTrainer.RoundStep(shipped));
            int zero = serializedSize(RoundSum.empty(8));
            int weights = serializedSize(input);
            System.out.printf("%d parameters: broadcast payload %d bytes, task function %d bytes, zero value %d bytes%n",
                    parameters, weights, closure, zero);
            assertTrue(weights > 4 * parameters, "the payload holds θ");
            assertTrue(closure < 2_000, "task function is " + closure + " bytes");
            assertTrue(zero < 2_000, "zero value is " + zero + " bytes");
        } finally {
            shipped.release();
        }

        CarouselConfig small = config("model.hidden = 32\n");
        DistributedTrainer.Shipped inline = DistributedTrainer.ship(sc, roundInput(small));
        assertNull(inline.broadcast());
        int closure = serializedSize(new DistributedTrainer.RoundStep(inline));
        assertTrue(closure > 4 * RunSetup.of(small).spec().layout().count(), "the function holds θ");
        assertTrue(closure < DistributedTrainer.INLINE_ROUND_INPUT_BYTES + 10_000, "task function is " + closure + " bytes");
    }

    private static RoundInput roundInput(CarouselConfig c) {
        return RoundInput.builder(ConfigLoader.canonical(c), ConfigLoader.hash(c),
                FlatArray.of(RunSetup.of(c).initialParameters())).steps(1).build();
    }

    static int serializedSize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.size();
    }
}
