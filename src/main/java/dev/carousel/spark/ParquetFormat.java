package dev.carousel.spark;

import static dev.carousel.spark.FileFormats.bad;
import static dev.carousel.spark.FileFormats.display;
import static dev.carousel.spark.FileFormats.rootMessage;
import static dev.carousel.spark.FileFormats.sparkPath;
import static org.apache.spark.sql.functions.col;

import dev.carousel.spark.Candidate.OrderKey;
import dev.carousel.spark.FileFormats.Layout;
import dev.carousel.spark.FileFormats.Read;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet layout: one row per sequence, {@code features: array<array<float|double>>} shaped [T][I] and either
 * {@code target: array<float|double>} or an integer {@code label}. The schema is checked on the driver, from
 * every file's footer, before any Spark task; each row becomes a {@link Candidate}. Package-private plumbing of
 * {@link FileDataset}.
 */
final class ParquetFormat {
    private ParquetFormat() {}

    static Read read(SparkSession spark, DataLocation path, List<DataLocation> files) {
        String shown = path.toString();
        List<StructType> footers = footers(spark, files);
        Dataset<Row> df;
        try {
            df = spark.read().parquet(sparkPath(path));
        } catch (Exception e) {
            throw bad(shown + ": cannot be read as Parquet: " + rootMessage(e) + "; expected Parquet files for data.format = "
                    + "parquet (csv or text data needs data.format = csv or text)");
        }
        StructType schema = df.schema();
        Set<String> names = new HashSet<>(Arrays.asList(schema.fieldNames()));
        String expected = "; expected features: array<array<float>> and either target: array<float> or label: int";
        if (!names.contains("features")) {
            throw bad(shown + ": has no 'features' column (columns: " + String.join(", ", schema.fieldNames()) + ")" + expected);
        }
        DataType ft = schema.apply("features").dataType();
        if (!(ft instanceof ArrayType a && a.elementType() instanceof ArrayType b && isReal(b.elementType()))) {
            throw bad(shown + ": column features has type " + ft.simpleString() + expected);
        }
        boolean hasTarget = names.contains("target");
        boolean hasLabel = names.contains("label");
        if (hasTarget == hasLabel) {
            throw bad(shown + (hasTarget ? ": has both a target and a label column" : ": has neither a target nor a label column")
                    + expected);
        }
        if (hasTarget) {
            DataType tt = schema.apply("target").dataType();
            if (!(tt instanceof ArrayType ta && isReal(ta.elementType()))) {
                throw bad(shown + ": column target has type " + tt.simpleString() + "; expected array<float> or array<double>");
            }
        } else {
            DataType lt = schema.apply("label").dataType();
            if (!(lt.equals(DataTypes.IntegerType) || lt.equals(DataTypes.LongType) || lt.equals(DataTypes.ShortType)
                    || lt.equals(DataTypes.ByteType))) {
                throw bad(shown + ": column label has type " + lt.simpleString() + "; expected an integer type (int)");
            }
        }
        checkAgreement(files, footers, schema, hasLabel ? "label" : "target");
        Dataset<Row> rows = df.select(col("_metadata.file_path"), col("_metadata.row_index"),
                col("features").cast("array<array<double>>"),
                hasLabel ? col("label").cast("long") : col("target").cast("array<double>"));
        JavaRDD<Candidate> candidates = rows.javaRDD().map(r -> row(r, hasLabel));
        return new Read(candidates, hasLabel ? Layout.PARQUET_LABEL : Layout.PARQUET_TARGET, "features", "", List.of());
    }

    /**
     * Every file's schema, read from its footer on the driver, in Spark's types. A file that is not Parquet is
     * reported here by name; Spark's own schema inference would fail it inside a task, with a stack trace in the log.
     */
    private static List<StructType> footers(SparkSession spark, List<DataLocation> files) {
        ParquetToSparkSchemaConverter converter = new ParquetToSparkSchemaConverter(spark.sessionState().conf());
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<StructType> schemas = new ArrayList<>();
        for (DataLocation f : files) {
            try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(f.uri(), conf))) {
                schemas.add(converter.convert(reader.getFooter().getFileMetaData().getSchema()));
            } catch (Exception e) { // IOException, or Parquet's RuntimeExceptions for a malformed footer
                throw bad(f + ": cannot be read as Parquet: " + rootMessage(e) + "; expected Parquet files for "
                        + "data.format = parquet (csv or text data needs data.format = csv or text)");
            }
        }
        return schemas;
    }

    /**
     * Checks that each file has {@code features} and {@code other} (target or label) of the types in
     * {@code schema}, the one Spark took from one of the files. A file that disagrees would otherwise fail inside
     * a Spark task halfway through validation, with Spark's stack traces in the log.
     */
    private static void checkAgreement(List<DataLocation> files, List<StructType> footers, StructType schema, String other) {
        for (int k = 0; k < files.size(); k++) {
            DataLocation f = files.get(k);
            StructType own = footers.get(k);
            Set<String> names = new HashSet<>(Arrays.asList(own.fieldNames()));
            for (String column : List.of("features", other)) {
                String expected = schema.apply(column).dataType().simpleString(); // nullability aside
                if (!names.contains(column)) {
                    throw bad(f + ": has no '" + column + "' column; expected " + column + ": " + expected
                            + " like the other files of the dataset");
                }
                String found = own.apply(column).dataType().simpleString();
                if (!found.equals(expected)) {
                    throw bad(f + ": column " + column + " has type " + found + "; expected " + expected
                            + " like the other files of the dataset (every file needs the same column types)");
                }
            }
        }
    }

    private static boolean isReal(DataType t) {
        return t.equals(DataTypes.FloatType) || t.equals(DataTypes.DoubleType);
    }

    /** A row (file URI, row index, features as array<array<double>>, target as array<double> or label as long). */
    static Candidate row(Row r, boolean hasLabel) {
        String uri = r.getString(0);
        String file = display(uri);
        long row = r.getLong(1);
        String where = file + " row " + row;
        OrderKey order = new OrderKey(uri, row);
        String problem = null;
        int steps = 0;
        int features = -1;
        double[] x = new double[0];
        if (r.isNullAt(2)) {
            problem = "features is null; expected an array of steps";
        } else {
            List<Object> fs = r.getList(2);
            steps = fs.size();
            if (steps == 0) {
                problem = "features has no steps; expected at least one";
            } else {
                scala.collection.Seq<?> first = (scala.collection.Seq<?>) fs.get(0);
                features = first == null ? 0 : first.length();
                x = new double[Math.multiplyExact(steps, Math.max(features, 0))];
                problem = steps(fs, features, x);
            }
        }
        int targetSize = -1;
        long label = -1;
        double[] y = null;
        if (hasLabel) {
            if (r.isNullAt(3)) {
                problem = problem != null ? problem : "label is null; expected a class index >= 0";
            } else {
                label = r.getLong(3);
                if (label < 0 && problem == null) {
                    problem = "label is " + label + "; expected a class index >= 0";
                }
            }
        } else if (r.isNullAt(3)) {
            problem = problem != null ? problem : "target is null; expected an array of numbers";
        } else {
            List<Object> ts = r.getList(3);
            targetSize = ts.size();
            y = new double[targetSize];
            if (targetSize == 0 && problem == null) {
                problem = "target is empty; expected at least one value";
            }
            for (int o = 0; o < targetSize && problem == null; o++) {
                problem = finite("target[" + o + "]", ts.get(o), y, o);
            }
        }
        return new Candidate(file, row, where, order, steps, features, targetSize, label, x, y, problem, null);
    }

    /** Stores the steps {@code fs}, {@code features} values each, into {@code x} [T][I], or says what is wrong. */
    private static String steps(List<Object> fs, int features, double[] x) {
        String problem = null;
        for (int t = 0; t < fs.size() && problem == null; t++) {
            scala.collection.Seq<?> step = (scala.collection.Seq<?>) fs.get(t);
            if (step == null) {
                problem = "features[" + t + "] is null; expected " + features + " values";
            } else if (step.length() == 0) {
                problem = "features[" + t + "] is empty; expected at least one feature";
            } else if (step.length() != features) {
                problem = "features[" + t + "] has " + step.length() + " values, expected " + features
                        + " like features[0]";
            } else {
                for (int i = 0; i < features && problem == null; i++) {
                    Object v = step.apply(i);
                    problem = finite("features[" + t + "][" + i + "]", v, x, t * features + i);
                }
            }
        }
        return problem;
    }

    /** Stores a finite number, or says what is wrong with it. */
    private static String finite(String name, Object v, double[] into, int at) {
        if (v == null) {
            return name + " is null; expected a finite number";
        }
        double d = ((Number) v).doubleValue();
        if (!Double.isFinite(d)) {
            return name + " is " + d + "; expected a finite number";
        }
        into[at] = d;
        return null;
    }
}
