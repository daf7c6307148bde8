package dev.carousel.sweep;

import static org.apache.spark.sql.functions.col;

import dev.carousel.config.ConfigLoader;
import dev.carousel.experiment.Results;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** Reads a sweep folder's result tables ({@link ResultTables}) back through Spark into {@link Results}. */
public final class ResultsReader {
    private ResultsReader() {}

    public static Results read(SparkSession spark, Path dir) {
        Map<String, List<Results.Eval>> curves = new HashMap<>();
        Dataset<Row> cv = table(spark, dir.resolve(SweepStore.CURVES), ResultTables.CURVES);
        if (cv != null) {
            for (Row r : cv.where(col("validation_loss").isNotNull()).select("cell", "update", "validation_loss", "grad_norm")
                    .orderBy("cell", "update").collectAsList()) {
                curves.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(new Results.Eval(r.getLong(1),
                        r.getDouble(2), r.isNullAt(3) ? Double.NaN : r.getDouble(3)));
            }
        }
        Map<String, List<Results.Stat>> stats = new HashMap<>();
        Dataset<Row> st = table(spark, dir.resolve(SweepStore.STEP_STATS), ResultTables.STEP_STATS);
        if (st != null) {
            for (Row r : st.select("cell", "round", "t", "lag", "probe", "mean", "p50").collectAsList()) {
                stats.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(new Results.Stat(r.getLong(1),
                        r.getInt(2), r.getInt(3), r.getString(4), r.isNullAt(5) ? Double.NaN : r.getDouble(5),
                        r.isNullAt(6) ? Double.NaN : r.getDouble(6)));
            }
        }
        List<Results.CellResult> cells = new ArrayList<>();
        Dataset<Row> runs = table(spark, dir.resolve(SweepStore.RUNS), ResultTables.RUNS);
        if (runs != null) {
            for (Row r : runs.select("cell", "status", "updates", "config").orderBy("cell").collectAsList()) {
                String id = r.getString(0);
                cells.add(new Results.CellResult(id, ConfigLoader.parse(r.getString(3), "runs/" + id), r.getString(1),
                        r.getLong(2), curves.getOrDefault(id, List.of()), stats.getOrDefault(id, List.of())));
            }
        }
        return new Results(cells);
    }

    private static Dataset<Row> table(SparkSession spark, Path dir, StructType schema) {
        try (Stream<Path> files = Files.isDirectory(dir) ? Files.list(dir) : Stream.empty()) {
            if (files.noneMatch(f -> f.getFileName().toString().endsWith(".parquet"))) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        return spark.read().schema(schema).parquet(dir.toString());
    }
}
