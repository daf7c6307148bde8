package dev.carousel.ml;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The other JVM of {@link ModelPersistenceTest}: loads a saved {@link CarouselModel}, predicts a Parquet dataset and
 * writes each prediction value's raw bits, one hex long per line, in row order.
 *
 * <p>Arguments: MODEL_PATH DATA_PATH OUT_FILE.
 */
public final class PredictInNewJvm {
    private PredictInNewJvm() {}

    public static void main(String[] args) throws Exception {
        try (SparkSession spark = SparkSession.builder().master("local[1]").appName("predict-in-new-jvm")
                .config("spark.ui.enabled", "false").getOrCreate()) {
            CarouselModel model = CarouselModel.load(args[0]);
            List<Row> rows = model.transform(spark.read().parquet(args[1])).select("prediction").collectAsList();
            List<String> lines = new ArrayList<>();
            for (Row r : rows) {
                for (Object v : r.getList(0)) {
                    lines.add(Long.toHexString(Double.doubleToRawLongBits((Double) v)));
                }
            }
            Files.write(Path.of(args[2]), lines, StandardCharsets.UTF_8);
        }
    }
}
