package dev.carousel.spark;

import static dev.carousel.spark.DistributedTrainerTest.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.data.SequenceBatch;
import dev.carousel.optim.Adam;
import dev.carousel.store.Storage;
import dev.carousel.train.RunSetup;
import dev.carousel.train.RunStatus;
import dev.carousel.train.TrainResult;
import dev.carousel.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Numerical faults on real Spark (local[2]): a partition whose loss, gradient, parameters or optimiser state
 * turns NaN/Inf stops the run as DIVERGED at that update, and nothing it computed in that round reaches θ.
 * The other partitions are healthy, so only the fault itself can stop the run: θ must then equal, to the
 * bit, the average a run that simply ended before the faulty round reaches.
 */
@ExtendWith(SparkSessionExtension.class)
class DivergenceTest {
    static final String BASE = "seed = 5\ntask { name = adding, length = 12, validation-sequences = 30 }\n"
            + "model.hidden = 8\ntraining { batch-size = 4, updates = 12, eval-every = 4 }\nprobes.every = 4\n";

    /**
     * A generated shard with one bad minibatch: at {@code badIndex} its targets are 1e30, as a data file with
     * one corrupt record would give; the squared error overflows float32 and the loss is +∞.
     */
    record PoisonedShard(GeneratedShard clean, long badIndex) implements Shard {
        @Override
        public int partition() {
            return clean.partition();
        }

        @Override
        public SequenceBatch trainingBatch(long index, int batchSize) {
            SequenceBatch b = clean.trainingBatch(index, batchSize);
            if (index != badIndex) {
                return b;
            }
            double[] targets = new double[b.targets().length];
            Arrays.fill(targets, 1e30);
            return new SequenceBatch(b.steps(), b.batchSize(), b.inputSize(), b.outputSize(), b.inputs(), targets,
                    b.supervision());
        }

        @Override
        public long size() {
            return -1;
        }
    }

    /** Partition {@code bad} (the tree's left or right leaf) sees a corrupt batch at update 5, in round 3 of K = 2. */
    @ParameterizedTest(name = "partition {0} diverges")
    @ValueSource(ints = {0, 1})
    void onePartitionsDivergenceStopsTheRunAndNeverReachesTheAverage(int bad, JavaSparkContext sc) {
        String dist = "distributed { partitions = 2, local-steps = 2 }\n";
        CarouselConfig cfg = ConfigLoader.parse(BASE + dist, "test");
        DistributedTrainer trainer = new DistributedTrainer(sc, RunSetup.of(cfg), DistributedTrainer.Options.NONE);
        List<Shard> shards = new ArrayList<>(trainer.generatedShards().collect());
        shards.set(bad, new PoisonedShard((GeneratedShard) shards.get(bad), 5));
        JavaRDD<Shard> rdd = sc.parallelize(shards, 2);
        TrainResult diverged = trainer.run(rdd, TrainingListener.NONE);

        assertEquals(RunStatus.DIVERGED, diverged.status());
        assertEquals(5, diverged.divergedAt(), "the update whose loss was not finite");
        assertEquals(4, diverged.updates(), "θ is the average of the last complete round");

        // The same run ended after round 2, on clean data everywhere: what θ must be.
        CarouselConfig four = ConfigLoader.parse(BASE + dist + "training.updates = 4\n", "test");
        TrainResult clean = new DistributedTrainer(sc, RunSetup.of(four), DistributedTrainer.Options.NONE)
                .run(TrainingListener.NONE);
        assertSameParametersAndState(clean, diverged);
        assertEquals(clean.curve(), diverged.curve(), "curve up to update 4");
        // Statistics of the faulty round (probed at update 4, inside it) are dropped with the round.
        assertEquals(List.of(0L), List.copyOf(diverged.stepStats().keySet()));
        assertArrayEquals(clean.stepStats().get(0L).toByteArray(), diverged.stepStats().get(0L).toByteArray());
        assertAllFinite(diverged);
    }

    /**
     * With one partition, the rounds between evaluations run back to back in one task (K = 1 here, evaluations every
     * 4 updates: rounds 4, 5, 6, 7 form one job). A fault in any of them must still end the run exactly as one job
     * per round would: the rounds before the faulty one count, θ and the optimiser state are those after the last
     * of them, bit for bit those of a clean run that ended there.
     */
    @ParameterizedTest(name = "bad batch at update {0}")
    @ValueSource(ints = {4, 5, 7})
    void aFaultInsideRoundsRunBackToBackKeepsTheRoundsBeforeIt(int badIndex, JavaSparkContext sc) {
        String dist = "distributed { partitions = 1, local-steps = 1 }\n";
        CarouselConfig cfg = ConfigLoader.parse(BASE + dist, "test");
        DistributedTrainer trainer = new DistributedTrainer(sc, RunSetup.of(cfg), DistributedTrainer.Options.NONE);
        assertEquals(List.of(1, 1, 1, 1), RoundPlan.of(cfg, false).first(4, false).rounds(), "rounds 4-7 are one job");
        GeneratedShard shard = (GeneratedShard) trainer.generatedShards().collect().get(0);
        JavaRDD<Shard> rdd = sc.parallelize(List.of(new PoisonedShard(shard, badIndex)), 1);
        TrainResult diverged = trainer.run(rdd, TrainingListener.NONE);

        assertEquals(RunStatus.DIVERGED, diverged.status());
        assertEquals(badIndex, diverged.divergedAt());
        assertEquals(badIndex, diverged.updates(), "every round before the faulty one counts");

        CarouselConfig upTo = ConfigLoader.parse(BASE + dist + "training.updates = " + badIndex + "\n", "test");
        TrainResult clean = new DistributedTrainer(sc, RunSetup.of(upTo), DistributedTrainer.Options.NONE)
                .run(TrainingListener.NONE);
        assertSameParametersAndState(clean, diverged);
        // The clean run evaluates at its last update too (and probes its final θ); the diverged one stops before.
        assertEquals(clean.curve().stream().filter(p -> p.update() <= 4).toList(), diverged.curve(), "curve");
        List<Long> probed = badIndex > 4 ? List.of(0L, 4L) : List.of(0L);
        assertEquals(probed, List.copyOf(diverged.stepStats().keySet()));
        for (long u : probed) {
            assertArrayEquals(clean.stepStats().get(u).toByteArray(), diverged.stepStats().get(u).toByteArray(),
                    "statistics at update " + u);
        }
        assertAllFinite(diverged);
    }

    /**
     * A fault that the loss and the gradient do not show: resuming from a checkpoint whose θ_0 sits at float32's
     * lowest value and whose Adam first moment there holds float32's maximum, the first update moves θ_0 by
     * lr·m̂/(√v̂ + ε) ≫ float32's spacing at that magnitude (2^104), past the end of the range: θ_0 becomes −∞,
     * with a finite loss and gradient. It is caught in that update, not one round later after being averaged in.
     * (The optimiser computes in double and rounds once, so a moment at the maximum does not overflow in the
     * intermediate m̂ = m / (1 − β1^t); the update itself does.)
     */
    @Test
    void parametersOverflowingInAnUpdateAreCaughtInThatUpdate(JavaSparkContext sc, @TempDir Path dir) {
        CarouselConfig cfg = ConfigLoader.parse(BASE + "distributed { partitions = 2, local-steps = 1, checkpoint-every = 1 }\n",
                "test");
        RunSetup setup = RunSetup.of(cfg);
        Path good = dir.resolve("good");
        TrainResult stopped = new DistributedTrainer(sc, setup, new DistributedTrainer.Options(good, false))
                .run((point, total) -> point.update() < 4);
        assertEquals(4, stopped.updates());

        DistributedTrainer.Progress p = Checkpoints.newest(Storage.local(good), new Configuration(), cfg);
        p.theta().putScalar(0, -Float.MAX_VALUE);
        double[] theta = p.theta().data().asDouble();
        p.state().get(Adam.M).putScalar(0, Float.MAX_VALUE);
        Path corrupt = dir.resolve("corrupt");
        Checkpoints.write(Storage.local(corrupt), new Configuration(), setup, 4, p);
        TrainResult r = new DistributedTrainer(sc, setup, new DistributedTrainer.Options(corrupt, true))
                .run(TrainingListener.NONE);

        assertEquals(RunStatus.DIVERGED, r.status());
        assertEquals(4, r.divergedAt(), "the first update from the corrupt state");
        assertEquals(4, r.updates());
        assertArrayEquals(theta, r.parameters().data().asDouble(), 0.0, "θ is the checkpoint's, not averaged with −∞");
        assertAllFinite(r);
    }

    /** A healthy run is not disturbed by the checks: the same bits as without any fault anywhere. */
    @Test
    void healthyShardsWrappedInTheHookChangeNothing(JavaSparkContext sc) {
        CarouselConfig cfg = ConfigLoader.parse(BASE + "distributed { partitions = 2, local-steps = 2 }\n", "test");
        DistributedTrainer trainer = new DistributedTrainer(sc, RunSetup.of(cfg), DistributedTrainer.Options.NONE);
        List<Shard> shards = new ArrayList<>();
        for (Shard s : trainer.generatedShards().collect()) {
            shards.add(new PoisonedShard((GeneratedShard) s, Long.MAX_VALUE));
        }
        assertBitIdentical(trainer.run(TrainingListener.NONE), trainer.run(sc.parallelize(shards, 2), TrainingListener.NONE));
    }

    /** θ, every optimiser buffer and the step count, bit for bit. */
    static void assertSameParametersAndState(TrainResult expected, TrainResult actual) {
        assertArrayEquals(expected.parameters().data().asDouble(), actual.parameters().data().asDouble(), 0.0, "θ");
        for (String name : expected.optimizerState().names()) {
            assertArrayEquals(expected.optimizerState().get(name).data().asDouble(),
                    actual.optimizerState().get(name).data().asDouble(), 0.0, "optimiser " + name);
        }
        assertEquals(expected.optimizerState().step(), actual.optimizerState().step());
    }

    static void assertAllFinite(TrainResult r) {
        for (double v : r.parameters().data().asDouble()) {
            assertTrue(Double.isFinite(v), "non-finite value in θ");
        }
        for (String name : r.optimizerState().names()) {
            for (double v : r.optimizerState().get(name).data().asDouble()) {
                assertTrue(Double.isFinite(v), "non-finite value in optimiser buffer " + name);
            }
        }
        for (Map.Entry<Long, dev.carousel.stats.StepStats> e : r.stepStats().entrySet()) {
            assertTrue(e.getKey() <= r.updates(), "statistics after the last applied update: " + e.getKey());
        }
    }
}
