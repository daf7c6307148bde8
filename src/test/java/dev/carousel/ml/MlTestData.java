package dev.carousel.ml;

import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Split;
import dev.carousel.data.Tasks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The small adding-task dataset and run config of the Spark ML tests: sequences of the adding problem (I = 2,
 * regression at the last step) written as one Parquet file in the file-dataset layout, features [T][2] and target [1].
 * Shared with the tests of other packages (the HDFS tests save a model there).
 */
public final class MlTestData {
    private MlTestData() {}

    static final int T = 10;
    static final int SEQUENCES = 80;

    /** A tiny run: H = 8, 20 updates on 2 partitions of 5 local steps, curve and probes every 10. */
    static final String CONFIG = "seed = 7\nmodel.hidden = 8\ntraining { batch-size = 8, updates = 20, eval-every = 10 }\n"
            + "probes.every = 10\ndistributed { partitions = 2, local-steps = 5 }\ndata.validation-fraction = 0.2\n";

    /** {@link #CONFIG}'s values as {@code setConfig} arguments. */
    public static CarouselEstimator estimator() {
        return new CarouselEstimator()
                .setConfig("seed", 7L)
                .setConfig("model.hidden", 8)
                .setConfig("training.batch-size", 8)
                .setConfig("training.updates", 20)
                .setConfig("training.eval-every", 10)
                .setConfig("probes.every", 10)
                .setConfig("distributed.partitions", 2)
                .setConfig("distributed.local-steps", 5)
                .setConfig("data.validation-fraction", 0.2)
                .setLabelCol("target");
    }

    static final StructType SCHEMA = new StructType()
            .add("features", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType)))
            .add("target", DataTypes.createArrayType(DataTypes.DoubleType));

    /** {@link #SEQUENCES} adding-problem sequences of length {@link #T} drawn with {@code seed}. */
    public static Dataset<Row> adding(SparkSession spark, long seed) {
        return spark.createDataFrame(rows(seed), SCHEMA);
    }

    /** The rows of {@link #adding}: features as a list of steps, each a list of I = 2 doubles; target a list of 1. */
    static List<Row> rows(long seed) {
        SequenceBatch b = Tasks.create("adding", T).batch(seed, Split.TRAIN, 0, 0, SEQUENCES);
        List<Row> rows = new ArrayList<>();
        for (int s = 0; s < SEQUENCES; s++) {
            List<List<Double>> features = new ArrayList<>();
            for (int t = 0; t < T; t++) {
                features.add(List.of(b.input(t, s, 0), b.input(t, s, 1)));
            }
            double target = b.targets()[((T - 1) * SEQUENCES + s)];
            rows.add(RowFactory.create(features, List.of(target)));
        }
        return rows;
    }

    /** {@link #adding} written as one Parquet file in {@code dir}, rows in order. */
    static Path writeAdding(SparkSession spark, Path dir, long seed) {
        adding(spark, seed).coalesce(1).write().parquet(dir.toString());
        return dir;
    }
}
