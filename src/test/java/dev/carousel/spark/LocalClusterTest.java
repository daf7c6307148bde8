package dev.carousel.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.RecurrentNetwork;
import dev.carousel.store.Folders;
import dev.carousel.store.Storage;
import dev.carousel.train.RunSetup;
import java.io.Serializable;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Spark's {@code local-cluster[2,1,1024]} master: a standalone master and two workers inside this JVM, each
 * worker launching a separate executor JVM from {@code $SPARK_HOME/jars/*} ({@link LocalSparkHome}), with the
 * project's classes shipped as an application jar. Each task does a real ND4J forward/backward pass, so this
 * checks what a cluster needs and local mode cannot show: the natives load in a fresh JVM from the Spark
 * class path, task code and its data reach executors by serialization alone (a config travels as its
 * canonical HOCON text; CarouselConfig is not Serializable), and results equal the driver's to the bit.
 * The tests of this class share one cluster (starting executor JVMs and loading ND4J in them takes seconds).
 */
class LocalClusterTest {
    static final String CONFIG = "seed = 11\ntask { name = adding, length = 10 }\nmodel.hidden = 8\n"
            + "training.batch-size = 4\n";
    static final int PARTITIONS = 4;

    /** What one task reports: its partition, the JVM it ran in, and the loss of partition p's first batch. */
    record PartitionLoss(int partition, long pid, double loss) implements Serializable {}

    /** Loss at initialisation on training batch 0 of partition {@code p}; runs on an executor or the driver. */
    static PartitionLoss lossOf(String hocon, int partition) {
        RunSetup setup = RunSetup.of(ConfigLoader.parse(hocon, "shipped config"));
        INDArray theta = setup.initialParameters();
        INDArray grad = theta.ulike();
        double loss = new RecurrentNetwork(setup.spec()).lossAndGradient(theta, setup.trainingBatch(partition, 0), grad, false)
                .loss();
        return new PartitionLoss(partition, ProcessHandle.current().pid(), loss);
    }

    /** Distributed training on the cluster: 2 partitions, 2 local steps per round, a checkpoint every round. */
    static final String TRAIN = CONFIG + "task.validation-sequences = 40\n"
            + "training { updates = 8, eval-every = 4 }\nprobes.every = 4\n"
            + "distributed { partitions = 2, local-steps = 2, checkpoint-every = 1 }\n";

    /** The cluster the tests share. */
    static JavaSparkContext sc;

    @BeforeAll
    static void startCluster() throws InterruptedException {
        SparkSessionExtension.stopShared(); // one SparkContext per JVM
        SparkConf conf = LocalSparkHome.localClusterConf(2, "carousel-local-cluster-test")
                // Spark's default, stated because ExecutorLoss depends on it: a task may fail 3 times and still
                // be retried (an executor loss counts as a failure of the task it was running).
                .set("spark.task.maxFailures", "4");
        sc = new JavaSparkContext(conf);
        LocalSparkHome.awaitExecutors(sc.sc(), 2, 60_000);
    }

    @AfterAll
    static void stopCluster() {
        if (sc != null) {
            sc.close();
            sc = null;
        }
    }

    @Test
    void tasksRunInTwoExecutorJvmsAndReproduceTheDriversLosses(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws InterruptedException {
        CarouselConfig cfg = ConfigLoader.parse(CONFIG, "LocalClusterTest");
        String hocon = ConfigLoader.canonical(cfg);
        LocalSparkHome.awaitExecutors(sc.sc(), 2, 60_000); // after ExecutorLoss, until the replacement has registered
        RunSetup train = RunSetup.of(ConfigLoader.parse(TRAIN, "LocalClusterTest"));
        List<PartitionLoss> results = sc.parallelize(List.of(0, 1, 2, 3), PARTITIONS).map(p -> lossOf(hocon, p)).collect();
        // Train, validate and checkpoint across the two executor JVMs, twice: the same bits both times.
        dev.carousel.train.TrainResult first = new DistributedTrainer(sc, train,
                new DistributedTrainer.Options(dir.resolve("ck"), false)).run(dev.carousel.train.TrainingListener.NONE);
        dev.carousel.train.TrainResult second = new DistributedTrainer(sc, train, DistributedTrainer.Options.NONE)
                .run(dev.carousel.train.TrainingListener.NONE);
        assertEquals(dev.carousel.train.RunStatus.COMPLETED, first.status());
        assertEquals(List.of(0L, 4L, 8L), first.curve().stream().map(dev.carousel.train.CurvePoint::update).toList());
        assertTrue(Double.isFinite(first.last().validationLoss()));
        assertEquals(2, Checkpoints.rounds(Storage.local(dir.resolve("ck")), new Configuration()).size(), "the two newest round checkpoints are kept");
        assertEquals(8, dev.carousel.train.Checkpoint.read(Folders.local(Checkpoints.rounds(Storage.local(dir.resolve("ck")),
                new Configuration()).get(1))).update());
        DistributedTrainerTest.assertBitIdentical(first, second);

        long driver = ProcessHandle.current().pid();
        Set<Long> pids = results.stream().map(PartitionLoss::pid).collect(Collectors.toSet());
        assertEquals(2, pids.size(), "two executor JVMs expected, got " + results);
        assertFalse(pids.contains(driver), "tasks ran in the driver JVM: " + results);
        List<PartitionLoss> sorted = results.stream().sorted(Comparator.comparingInt(PartitionLoss::partition)).toList();
        for (int p = 0; p < PARTITIONS; p++) {
            PartitionLoss r = sorted.get(p);
            assertEquals(p, r.partition());
            assertTrue(Double.isFinite(r.loss()) && r.loss() > 0, r.toString());
            assertEquals(lossOf(hocon, p).loss(), r.loss(), 0.0, "partition " + p + " loss differs from the driver's");
        }
        assertEquals(PARTITIONS, sorted.stream().mapToDouble(PartitionLoss::loss).distinct().count(),
                "each partition has its own data");
    }

    /** Executor loss mid-round: see {@link ExecutorLoss}. */
    @Test
    void anExecutorKilledMidRoundIsReplacedAndTheRunEndsBitIdentical() throws Exception {
        LocalSparkHome.awaitExecutors(sc.sc(), 2, 60_000);
        ExecutorLoss.killMidRoundAndCompare(sc);
    }
}
