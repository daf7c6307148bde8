package dev.carousel.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Writes the test datasets: Parquet through Spark DataFrames, one file per dataset so row numbers are known. */
final class DataFiles {
    private DataFiles() {}

    static SparkSession session(String name) {
        return SparkSession.builder()
                .master("local[2]")
                .appName(name)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate();
    }

    /** Distinct, exactly representable (in float) value of sequence s, step t, feature i. */
    static double feature(int s, int t, int i) {
        return s * 100 + t * 10 + i + 0.5;
    }

    static double target(int s, int o) {
        return s + o * 0.25;
    }

    static List<List<Float>> floatFeatures(int s, int steps, int inputs) {
        List<List<Float>> f = new ArrayList<>();
        for (int t = 0; t < steps; t++) {
            List<Float> step = new ArrayList<>();
            for (int i = 0; i < inputs; i++) {
                step.add((float) feature(s, t, i));
            }
            f.add(step);
        }
        return f;
    }

    static List<List<Double>> doubleFeatures(int s, int steps, int inputs) {
        List<List<Double>> f = new ArrayList<>();
        for (int t = 0; t < steps; t++) {
            List<Double> step = new ArrayList<>();
            for (int i = 0; i < inputs; i++) {
                step.add(feature(s, t, i));
            }
            f.add(step);
        }
        return f;
    }

    static List<Float> floatTarget(int s, int outputs) {
        List<Float> y = new ArrayList<>();
        for (int o = 0; o < outputs; o++) {
            y.add((float) target(s, o));
        }
        return y;
    }

    static StructType regressionSchema(DataType element) {
        return new StructType()
                .add("features", DataTypes.createArrayType(DataTypes.createArrayType(element)))
                .add("target", DataTypes.createArrayType(element));
    }

    static StructType classificationSchema(DataType element) {
        return new StructType()
                .add("features", DataTypes.createArrayType(DataTypes.createArrayType(element)))
                .add("label", DataTypes.IntegerType);
    }

    /** n regression rows (float), T steps, I features, O targets. */
    static List<Row> regressionRows(int n, int steps, int inputs, int outputs) {
        List<Row> rows = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            rows.add(RowFactory.create(floatFeatures(s, steps, inputs), floatTarget(s, outputs)));
        }
        return rows;
    }

    /** Writes rows as a directory holding one Parquet part file; returns that file. */
    static Path writeParquet(SparkSession spark, Path dir, StructType schema, List<Row> rows) throws IOException {
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(dir.toString());
        return partFile(dir);
    }

    static Path partFile(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> parts = files.filter(p -> p.getFileName().toString().startsWith("part-")
                    && p.getFileName().toString().endsWith(".parquet")).toList();
            if (parts.size() != 1) {
                throw new IllegalStateException("expected one part file in " + dir + ", found " + parts);
            }
            return parts.get(0);
        }
    }
}
