package dev.carousel.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.spark.SparkSessionExtension;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.ml.param.Param;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ML persistence: a saved model predicts the same bits in a new JVM; a saved estimator keeps its params. */
class ModelPersistenceTest {

    @Test
    void aModelSavedHereLoadsInANewJvmAndPredictsBitIdentically(@TempDir Path dir) throws Exception {
        SparkSession spark = SparkSessionExtension.session();
        Path data = MlTestData.writeAdding(spark, dir.resolve("adding"), 9);
        Dataset<Row> df = spark.read().parquet(data.toString());
        CarouselModel model = MlTestData.estimator().setConfig("model.forget-gate.mode", "chrono").fit(df);
        String uri = dir.resolve("model").toUri().toString(); // a Hadoop URI: file:///...
        model.write().save(uri);
        for (String file : List.of("metadata/part-00000", "checkpoint/manifest.json", "checkpoint/parameters.npy",
                "checkpoint/model.json")) {
            assertTrue(Files.isRegularFile(dir.resolve("model").resolve(file)), file);
        }

        List<String> here = new ArrayList<>();
        for (Row r : model.transform(df).select("prediction").collectAsList()) {
            for (Object v : r.getList(0)) {
                here.add(Long.toHexString(Double.doubleToRawLongBits((Double) v)));
            }
        }
        assertEquals(MlTestData.SEQUENCES, here.size(), "one value per sequence: the target has O = 1");

        Path out = dir.resolve("predictions.txt");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g"));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens")) { // Spark on Java 17
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), PredictInNewJvm.class.getName(), uri,
                data.toString(), out.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process child = pb.start();
        assertTrue(child.waitFor(180, TimeUnit.SECONDS), "the new JVM did not finish");
        assertEquals(0, child.exitValue(), () -> tail(dir.resolve("child.log")));
        assertEquals(here, Files.readAllLines(out, StandardCharsets.UTF_8));
    }

    @Test
    void aSavedEstimatorLoadsWithEveryParam(@TempDir Path dir) throws IOException {
        SparkSessionExtension.session();
        CarouselEstimator est = MlTestData.estimator().setConfig("model.forget-gate.bias", -1.5)
                .setConfig("model.cell", "rnn").setPredictionCol("yhat");
        est.write().save(dir.resolve("estimator").toString());
        CarouselEstimator loaded = CarouselEstimator.load(dir.resolve("estimator").toString());
        assertEquals(est.uid(), loaded.uid());
        for (Param<?> p : est.params()) {
            Param<?> q = loaded.getParam(p.name());
            assertEquals(est.isSet(p), loaded.isSet(q), p.name());
            assertEquals(est.getOrDefault(p), loaded.getOrDefault(q), p.name());
        }
        assertEquals(est.runConfig(), loaded.runConfig());
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "no log: " + e;
        }
    }
}
