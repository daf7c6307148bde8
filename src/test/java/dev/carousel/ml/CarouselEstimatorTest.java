package dev.carousel.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.CliRunner;
import dev.carousel.spark.SparkSessionExtension;
import dev.carousel.train.Checkpoint;
import dev.carousel.train.CurvePoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** CarouselEstimator on real Spark ({@code local[2]}): fit equals {@code carousel train} on the same data and config. */
class CarouselEstimatorTest {

    @Test
    void fitOnADataFrameEqualsCarouselTrainOnTheSameParquetBitForBit(@TempDir Path dir) throws Exception {
        Path data = MlTestData.writeAdding(SparkSessionExtension.session(), dir.resolve("adding"), 3);
        Path conf = dir.resolve("run.conf");
        Files.writeString(conf, MlTestData.CONFIG + "data { format = parquet, path = \"" + data + "\" }\n");
        // The CLI first: it closes its Spark session, and the shared one is started again below.
        CliRunner.Run run = CliRunner.cli("train", conf.toString(), "--out", dir.resolve("out").toString(),
                "--master", "local[2]", "--quiet");
        assertEquals(0, run.exit(), run.err() + run.out());
        Path result;
        try (Stream<Path> s = Files.list(dir.resolve("out"))) {
            result = s.filter(p -> p.getFileName().toString().startsWith("train-")).findFirst().orElseThrow();
        }
        Checkpoint cli = Checkpoint.read(result.resolve("checkpoint"));

        SparkSession spark = SparkSessionExtension.session();
        Dataset<Row> df = spark.read().parquet(data.toString());
        CarouselModel model = MlTestData.estimator().fit(df);

        assertArrayEquals(bits(cli.parameters()), bits(model.parameters()), "parameters");
        assertEquals(cli.update(), model.updates());
        List<Row> cliCurve = spark.read().parquet(result.resolve("curves").toString()).orderBy("update").collectAsList();
        List<CurvePoint> curve = model.summary().curvePoints();
        assertEquals(List.of(0L, 10L, 20L), curve.stream().map(CurvePoint::update).toList());
        assertEquals(cliCurve.size(), curve.size());
        for (int i = 0; i < curve.size(); i++) {
            Row r = cliCurve.get(i);
            CurvePoint p = curve.get(i);
            assertEquals(r.getLong(r.fieldIndex("update")), p.update());
            for (String column : List.of("train_loss", "validation_loss", "validation_metric", "grad_norm")) {
                double expected = r.isNullAt(r.fieldIndex(column)) ? Double.NaN : r.getDouble(r.fieldIndex(column));
                double actual = switch (column) {
                    case "train_loss" -> p.trainLoss();
                    case "validation_loss" -> p.validationLoss();
                    case "validation_metric" -> p.validationMetric();
                    default -> p.gradNorm();
                };
                assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
                        column + " at update " + p.update());
            }
        }
        // The summary's tables have the CLI's schemas and rows.
        assertEquals(cliCurve.size(), model.summary().curve().count());
        long cliStats = spark.read().parquet(result.resolve("step_stats").toString()).count();
        assertEquals(cliStats, model.summary().stepStats().count());
        assertTrue(cliStats > 0);
    }

    @Test
    void aBadRowOrColumnIsRefusedInOneLineBeforeTraining() {
        SparkSession spark = SparkSessionExtension.session();
        List<Row> rows = new java.util.ArrayList<>(MlTestData.rows(3));
        @SuppressWarnings("unchecked")
        List<List<Double>> features = new java.util.ArrayList<>((List<List<Double>>) rows.get(5).get(0));
        features.set(2, List.of(Double.NaN, 0.0));
        rows.set(5, org.apache.spark.sql.RowFactory.create(features, rows.get(5).get(1)));
        Dataset<Row> bad = spark.createDataFrame(rows, MlTestData.SCHEMA);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MlTestData.estimator().fit(bad));
        assertEquals("DataFrame row 5: features[2][0] is NaN; expected a finite number", e.getMessage());

        Dataset<Row> good = MlTestData.adding(spark, 3);
        e = assertThrows(IllegalArgumentException.class, () -> MlTestData.estimator().setLabelCol("y").fit(good));
        assertEquals("label column 'y' not found (columns: features, target); expected a target or class label column, "
                + "or setLabelCol", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MlTestData.estimator().setConfig("distributed.partitions", 100).fit(good));
        assertEquals("DataFrame: 100 partitions for 64 training sequences; expected 1..number of training sequences, "
                + "so that no shard is empty", e.getMessage());
    }

    /**
     * Two fits of one config on different DataFrames, then the first again: the rerun's curve equals the first run's
     * bit for bit, so the executors' per-thread network (keyed by config and dataset) holds no other run's held-out
     * sequences.
     */
    @Test
    void aConfigFittedAgainAfterAnotherDatasetScoresItsOwnHeldOutSequences() {
        SparkSession spark = SparkSessionExtension.session();
        Dataset<Row> first = MlTestData.adding(spark, 21);
        Dataset<Row> other = MlTestData.adding(spark, 22);
        List<CurvePoint> before = MlTestData.estimator().fit(first).summary().curvePoints();
        List<CurvePoint> between = MlTestData.estimator().fit(other).summary().curvePoints();
        List<CurvePoint> after = MlTestData.estimator().fit(first).summary().curvePoints();
        assertEquals(before, after);
        assertTrue(before.get(0).validationLoss() != between.get(0).validationLoss(), "the datasets differ");
    }

    /** An integer label makes a classifier: O = max label + 1 classes, the class index as the prediction. */
    @Test
    void anIntegerLabelTrainsAClassifierThatMulticlassEvaluatorScores() {
        SparkSession spark = SparkSessionExtension.session();
        Dataset<Row> df = MlTestData.adding(spark, 4)
                .selectExpr("features", "CAST(target[0] > 1.0 AS INT) AS label");
        CarouselModel model = MlTestData.estimator().setLabelCol("label").fit(df);
        assertEquals(new ModelShape(MlTestData.T, 2, 2, dev.carousel.data.LossKind.CROSS_ENTROPY, false), model.shape());
        Dataset<Row> out = model.transform(df);
        List<Row> rows = out.select("label", "prediction").collectAsList();
        long right = rows.stream().filter(r -> r.getInt(0) == r.getDouble(1)).count();
        rows.forEach(r -> assertTrue(r.getDouble(1) == 0.0 || r.getDouble(1) == 1.0, r.toString()));
        double accuracy = new org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator()
                .setMetricName("accuracy").evaluate(out);
        assertEquals((double) right / rows.size(), accuracy, 1e-12, "the evaluator's accuracy is the share of right rows");
    }

    static long[] bits(INDArray a) {
        double[] d = a.castTo(DataType.DOUBLE).toDoubleVector();
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }
}
