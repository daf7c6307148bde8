package dev.carousel.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.carousel.spark.LocalSparkHome;
import dev.carousel.spark.SparkSessionExtension;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * One small fit on Spark's {@code local-cluster[1,1,1024]}, an executor JVM launched from {@link LocalSparkHome}: the
 * DataFrame's rows, the shards cut from them and the model's predictor reach the executor by serialization alone,
 * and the fit and the predictions equal those of {@code local[2]} bit for bit (same partitions, same bits wherever
 * the tasks run). One executor, not two: {@code LocalClusterTest} covers tasks spread over JVMs, and a second
 * executor loading ND4J doubled this test's time on 2 cores (cluster start and fit 20 s against 49 s, measured
 * under load).
 */
class LocalClusterFitTest {

    @Test
    void aFitOnAnExecutorJvmEqualsTheSameFitInLocalMode() throws InterruptedException {
        SparkSession local = SparkSessionExtension.session();
        CarouselModel expected = MlTestData.estimator().fit(MlTestData.adding(local, 13));
        long[] expectedParameters = CarouselEstimatorTest.bits(expected.parameters());
        List<Row> expectedPredictions = expected.transform(MlTestData.adding(local, 13)).select("prediction")
                .collectAsList();

        SparkSessionExtension.stopShared(); // one SparkContext per JVM
        SparkConf conf = LocalSparkHome.localClusterConf(1, "carousel-ml-local-cluster-test");
        try (SparkSession cluster = SparkSession.builder().config(conf).getOrCreate()) {
            LocalSparkHome.awaitExecutors(cluster.sparkContext(), 1, 60_000);
            Dataset<Row> df = MlTestData.adding(cluster, 13);
            CarouselModel model = MlTestData.estimator().fit(df);
            assertArrayEquals(expectedParameters, CarouselEstimatorTest.bits(model.parameters()));
            Dataset<Row> predicted = model.transform(df).select("prediction");
            assertArrayEquals(expectedPredictions.toArray(), predicted.collectAsList().toArray());
        } finally {
            SparkSession.clearActiveSession();
            SparkSession.clearDefaultSession();
        }
    }
}
