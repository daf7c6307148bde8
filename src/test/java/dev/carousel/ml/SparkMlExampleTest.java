package dev.carousel.ml;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.nn.ForgetGate;
import dev.carousel.spark.SparkSessionExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.ml.tuning.TrainValidationSplit;
import org.apache.spark.ml.tuning.TrainValidationSplitModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.JavaConverters;

/**
 * The Spark ML example of README ("Spark ML API"), run as a test: {@link #example} loads a Parquet dataset, fits
 * Carousel in a Pipeline after a feature-preparing SQLTransformer, tunes the forget gate (mode × bias) with
 * TrainValidationSplit at parallelism 2, and saves the best model. The tests then check what it did against plain
 * fits, and CrossValidator on the same pipeline.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SparkMlExampleTest {
    static final double TRAIN_RATIO = 0.75;
    static final long SPLIT_SEED = 11;

    SparkSession spark;
    Path data;
    Path saved;
    TrainValidationSplitModel tuned;
    ParamMap[] grid;

    /** The example: everything a user writes, from a Parquet dataset to a saved, tuned pipeline model. */
    static TrainValidationSplitModel example(SparkSession spark, String parquet, String bestModelPath) throws Exception {
        Dataset<Row> sequences = spark.read().parquet(parquet); // features: [T][I], target: [1] (the adding problem)

        // A feature-preparing stage: the target array's one value as a double label, which RegressionEvaluator reads.
        SQLTransformer prepare = new SQLTransformer().setStatement("SELECT features, target[0] AS y FROM __THIS__");
        CarouselEstimator carousel = new CarouselEstimator()
                .setConfig("seed", 7L)
                .setConfig("model.hidden", 8)
                .setConfig("training.batch-size", 8)
                .setConfig("training.updates", 20)
                .setConfig("training.eval-every", 10)
                .setConfig("probes.every", 10)
                .setConfig("distributed.partitions", 2)
                .setConfig("distributed.local-steps", 5)
                .setConfig("data.validation-fraction", 0.2)
                .setLabelCol("y");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {prepare, carousel});

        // Forget-gate mode × bias: chrono ignores the bias, so its two cells are one setting, trained twice.
        Param<String> mode = carousel.stringParam("model.forget-gate.mode");
        DoubleParam bias = carousel.doubleParam("model.forget-gate.bias");
        ParamMap[] grid = new ParamGridBuilder()
                .addGrid(mode, JavaConverters.asScalaBuffer(List.of("learned", "chrono")))
                .addGrid(bias, new double[] {-2.0, 2.0})
                .build();
        TrainValidationSplit tuning = new TrainValidationSplit()
                .setEstimator(pipeline)
                .setEstimatorParamMaps(grid)
                .setEvaluator(new RegressionEvaluator().setLabelCol("y").setMetricName("mse"))
                .setTrainRatio(TRAIN_RATIO)
                .setSeed(SPLIT_SEED)
                .setParallelism(2); // two fits at once, each its own Spark jobs
        TrainValidationSplitModel tuned = tuning.fit(sequences);

        ((PipelineModel) tuned.bestModel()).write().overwrite().save(bestModelPath);
        return tuned;
    }

    @BeforeAll
    void runTheExample(@TempDir Path dir) throws Exception {
        spark = SparkSessionExtension.session();
        data = MlTestData.writeAdding(spark, dir.resolve("adding"), 5);
        saved = dir.resolve("best");
        tuned = example(spark, data.toString(), saved.toUri().toString());
        grid = tuned.getEstimatorParamMaps();
    }

    @Test
    void aPipelineWithASqlTransformerBeforeTheEstimatorRunsEndToEnd() {
        PipelineModel best = (PipelineModel) tuned.bestModel();
        CarouselModel model = (CarouselModel) best.stages()[1];
        assertEquals("y", model.getLabelCol());
        Dataset<Row> out = best.transform(spark.read().parquet(data.toString()));
        assertEquals(List.of("features", "y", "prediction"), List.of(out.columns()));
        List<Row> rows = out.collectAsList();
        assertEquals(MlTestData.SEQUENCES, rows.size());
        rows.forEach(r -> assertTrue(Double.isFinite(r.getDouble(2)), r.toString()));
        // Probes per sequence, against the label: arrays [T]; the forget activation is a gate value in (0, 1).
        Row probes = model.copy(new ParamMap()).setProbesCol("probes")
                .transform(best.stages()[0].transform(spark.read().parquet(data.toString()))).first().getStruct(3);
        for (String p : ModelShape.PROBES) {
            assertEquals(MlTestData.T, probes.getList(probes.fieldIndex(p)).size(), p);
        }
        List<Double> forget = probes.getList(probes.fieldIndex("forget"));
        forget.forEach(f -> assertTrue(f > 0 && f < 1, "forget " + f));
        assertTrue(Double.isFinite(probes.<Double>getList(probes.fieldIndex("dh")).get(MlTestData.T - 1)));
    }

    /**
     * The sweep CLI trains generated tasks only, so the reference is a plain fit of the same pipeline per grid cell,
     * on TrainValidationSplit's own split (Dataset.randomSplit with its ratio and seed), each scored with the same
     * evaluator: the metrics are equal bit for bit, and so is the choice. ParamGridBuilder's order of cells follows
     * a hash of the params (their estimator's random uid among it), so each cell's setting is read from its own
     * ParamMap, never from its position.
     */
    @Test
    void trainValidationSplitPicksTheSameSettingAsPlainFitsOnItsSplit() {
        Dataset<Row>[] split = spark.read().parquet(data.toString())
                .randomSplit(new double[] {TRAIN_RATIO, 1 - TRAIN_RATIO}, SPLIT_SEED);
        Pipeline pipeline = (Pipeline) tuned.getEstimator();
        CarouselEstimator stage = (CarouselEstimator) pipeline.getStages()[1];
        RegressionEvaluator evaluator = (RegressionEvaluator) tuned.getEvaluator();
        double[] metrics = tuned.validationMetrics();
        assertEquals(4, metrics.length);
        List<Double> plain = new ArrayList<>();
        List<ForgetGate> settings = new ArrayList<>();
        for (int i = 0; i < grid.length; i++) {
            ForgetGate setting = stage.copy(grid[i]).runConfig().model().forgetGate();
            PipelineModel fitted = pipeline.fit(split[0], grid[i]);
            assertEquals(setting, ((CarouselModel) fitted.stages()[1]).config().model().forgetGate());
            plain.add(evaluator.evaluate(fitted.transform(split[1])));
            settings.add(setting);
            assertEquals(Double.doubleToLongBits(plain.get(i)), Double.doubleToLongBits(metrics[i]),
                    "cell " + i + " " + setting);
        }
        assertEquals(3, new java.util.HashSet<>(settings).size(), "chrono ignores the bias: " + settings);
        int best = 0;
        for (int i = 1; i < plain.size(); i++) {
            best = plain.get(i) < plain.get(best) ? i : best;
        }
        CarouselModel chosen = (CarouselModel) ((PipelineModel) tuned.bestModel()).stages()[1];
        assertEquals(settings.get(best), chosen.config().model().forgetGate(), "metrics " + plain + " of " + settings);
    }

    @Test
    void theSavedBestModelReloadsAndPredictsTheSame() {
        PipelineModel loaded = PipelineModel.load(saved.toUri().toString());
        Dataset<Row> in = spark.read().parquet(data.toString());
        double[] before = predictions(((PipelineModel) tuned.bestModel()).transform(in));
        double[] after = predictions(loaded.transform(in));
        assertArrayEquals(longBits(before), longBits(after));
        CarouselModel model = (CarouselModel) loaded.stages()[1];
        CarouselModel original = (CarouselModel) ((PipelineModel) tuned.bestModel()).stages()[1];
        assertEquals(original.config(), model.config());
        assertEquals(original.shape(), model.shape());
        assertEquals(original.getConfig("model.forget-gate.mode"), model.getConfig("model.forget-gate.mode"));
    }

    @Test
    void crossValidatorTunesTheSamePipelineInParallel() {
        Pipeline pipeline = (Pipeline) tuned.getEstimator();
        CarouselEstimator carousel = (CarouselEstimator) pipeline.getStages()[1];
        ParamMap[] biases = new ParamGridBuilder()
                .addGrid(carousel.doubleParam("model.forget-gate.bias"), new double[] {-2.0, 2.0})
                .build();
        CrossValidatorModel cv = new CrossValidator().setEstimator(pipeline).setEstimatorParamMaps(biases)
                .setEvaluator(tuned.getEvaluator()).setNumFolds(2).setSeed(3).setParallelism(2)
                .fit(spark.read().parquet(data.toString()));
        assertEquals(2, cv.avgMetrics().length);
        int best = cv.avgMetrics()[0] <= cv.avgMetrics()[1] ? 0 : 1;
        CarouselModel chosen = (CarouselModel) ((PipelineModel) cv.bestModel()).stages()[1];
        assertEquals(new ForgetGate.Learned(best == 0 ? -2.0 : 2.0), chosen.config().model().forgetGate());
    }

    static double[] predictions(Dataset<Row> out) {
        return out.select(col("prediction")).collectAsList().stream().mapToDouble(r -> r.getDouble(0)).toArray();
    }

    static long[] longBits(double[] d) {
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }
}
