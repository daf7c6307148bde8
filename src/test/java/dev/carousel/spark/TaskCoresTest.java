package dev.carousel.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.SplitBatchNetwork;
import dev.carousel.train.RunSetup;
import dev.carousel.train.TrainResult;
import dev.carousel.train.TrainingListener;
import java.util.Arrays;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * A Spark task with two cores ({@code spark.task.cpus = 2}) splits each training pass of a model large enough
 * ({@link SplitBatchNetwork#pays}) across them: runs are bit-identical to each other, and equal a one-core run's
 * within float64 rounding without being the same bits (so the split did run).
 */
class TaskCoresTest {
    static final String CONFIG = "seed = 3\ntask { name = adding, length = 10, validation-sequences = 64 }\n"
            + "model { hidden = 128, precision = float64 }\ntraining { batch-size = 64, updates = 6, eval-every = 3 }\n"
            + "probes { every = 3, set = \"dh dc forget path_gain dc_share\" }\ndistributed.local-steps = 3\n";

    @Test
    void twoCoresSplitTheBatchDeterministically() {
        CarouselConfig cfg = ConfigLoader.parse(CONFIG, "test");
        RunSetup setup = RunSetup.of(cfg);
        assertTrue(SplitBatchNetwork.pays(setup.spec(), 64, 2), "the model is large enough to split");
        TrainResult a;
        TrainResult b;
        TrainResult one;
        SparkSessionExtension.stopShared();
        try (SparkSession spark = session(2)) {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            a = new DistributedTrainer(sc, setup, DistributedTrainer.Options.NONE).run(TrainingListener.NONE);
            b = new DistributedTrainer(sc, RunSetup.of(cfg), DistributedTrainer.Options.NONE).run(TrainingListener.NONE);
        }
        try (SparkSession spark = session(1)) {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            one = new DistributedTrainer(sc, RunSetup.of(cfg), DistributedTrainer.Options.NONE).run(TrainingListener.NONE);
        }
        DistributedTrainerTest.assertBitIdentical(a, b);
        double[] split = a.parameters().toDoubleVector();
        double[] whole = one.parameters().toDoubleVector();
        assertFalse(Arrays.equals(split, whole), "two cores ran a split pass, not the one-thread pass");
        double worst = 0;
        for (int k = 0; k < split.length; k++) {
            worst = Math.max(worst, Math.abs(split[k] - whole[k]) / Math.max(Math.abs(whole[k]), 1e-3));
        }
        assertTrue(worst < 1e-9, "θ equals the one-core run's within rounding: " + worst);
        assertEquals(one.curve().size(), a.curve().size());
        for (int k = 0; k < one.curve().size(); k++) {
            assertEquals(one.curve().get(k).validationLoss(), a.curve().get(k).validationLoss(),
                    1e-9 * one.curve().get(k).validationLoss());
        }
    }

    private static SparkSession session(int cpus) {
        return SparkSession.builder().master("local[2]").appName("task-cores-" + cpus)
                .config("spark.ui.enabled", "false").config("spark.task.cpus", String.valueOf(cpus)).getOrCreate();
    }
}
