package dev.carousel.spark;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.io.AtomicDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad data is rejected by {@link FileDataset#open} before any work: one line naming the file and the row or
 * line and what was expected, and (opened the way {@code train} would) nothing written to the output folder.
 */
class FileDatasetValidationTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = DataFiles.session("file-dataset-validation-test");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** What a train command does: validate the data, and only then create its output folder and write. */
    static void trainLike(Path out, Supplier<FileDataset> open) throws IOException {
        try (FileDataset ds = open.get()) {
            try (AtomicDirectory dir = AtomicDirectory.begin(out.resolve("train-0"))) {
                Files.writeString(dir.staging().resolve("summary.md"), ds.toString());
                ds.shards(1, 1L).count();
                dir.commit();
            }
        }
    }

    /** Asserts the train-like sequence fails with a one-line message containing all {@code parts}, writing nothing. */
    static String rejected(Path out, Supplier<FileDataset> open, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainLike(out, open));
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r"), "one line expected, got:\n" + m);
        for (String p : parts) {
            assertTrue(m.contains(p), "message should contain '" + p + "': " + m);
        }
        assertFalse(Files.exists(out), "nothing may be written when validation fails: " + m);
        return m;
    }

    static Supplier<FileDataset> open(String format, Path path, int length) {
        return () -> FileDataset.open(spark, format, path, length);
    }

    static Path csv(Path dir, String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    /** Four sequences of two steps: seq_id, t, x1, x2, y. */
    static String goodCsv() {
        StringBuilder b = new StringBuilder("seq_id,t,x1,x2,y\n");
        for (int s = 0; s < 4; s++) {
            b.append(s).append(",0,0.5,1.5,\n").append(s).append(",1,2.5,3.5,").append(s).append('\n');
        }
        return b.toString();
    }

    /** goodCsv with data line {@code line} (1-based, counting the header as line 1) replaced. */
    static String csvWithLine(int line, String replacement) {
        List<String> ls = new ArrayList<>(goodCsv().lines().toList());
        ls.set(line - 1, replacement);
        return String.join("\n", ls) + "\n";
    }

    static List<Row> regression(int n, int steps, int inputs, int outputs) {
        return DataFiles.regressionRows(n, steps, inputs, outputs);
    }

    static StructType floatRegression() {
        return DataFiles.regressionSchema(DataTypes.FloatType);
    }

    @Test
    void raggedSteps(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        // Parquet: row 3 has 4 steps where the others have 5
        List<Row> rows = regression(6, 5, 3, 2);
        rows.set(3, RowFactory.create(DataFiles.floatFeatures(3, 4, 3), DataFiles.floatTarget(3, 2)));
        Path part = DataFiles.writeParquet(spark, dir.resolve("steps"), floatRegression(), rows);
        rejected(out, open("parquet", dir.resolve("steps"), 0), part.toString() + " row 3:", "4 steps", "expected 5",
                "5 of 6 sequences");
        // ... and when the length is given, the first row that differs from it
        rejected(out, open("parquet", dir.resolve("steps"), 4), part.toString() + " row 0:", "5 steps", "expected 4");

        // Parquet: step 1 of row 2 has 2 features where its other steps have 3
        rows = regression(6, 5, 3, 2);
        List<List<Float>> f = DataFiles.floatFeatures(2, 5, 3);
        f.set(1, f.get(1).subList(0, 2));
        rows.set(2, RowFactory.create(f, DataFiles.floatTarget(2, 2)));
        part = DataFiles.writeParquet(spark, dir.resolve("inner"), floatRegression(), rows);
        rejected(out, open("parquet", dir.resolve("inner"), 0), part + " row 2:", "features[1] has 2 values, expected 3");

        // Parquet: row 4 has 2 features at every step where the other rows have 3
        rows = regression(6, 5, 3, 2);
        rows.set(4, RowFactory.create(DataFiles.floatFeatures(4, 5, 2), DataFiles.floatTarget(4, 2)));
        part = DataFiles.writeParquet(spark, dir.resolve("width"), floatRegression(), rows);
        rejected(out, open("parquet", dir.resolve("width"), 0), part + " row 4:", "2 features per step", "expected 3");

        // CSV: seq_id 2 stops at t = 0 while the others have t = 0..1 (its first line is line 6)
        Path c = csv(dir, "short.csv", goodCsv().replace("2,1,2.5,3.5,2\n", ""));
        rejected(out, open("csv", c, 0), c + ":6", "seq_id 2): sequence has 1 step, expected 2 like 3 of 4 sequences");

        // CSV: a line with a field too many
        c = csv(dir, "wide.csv", csvWithLine(5, "1,1,2.5,3.5,9.5,1"));
        rejected(out, open("csv", c, 0), c + ":5:", "has 6 fields", "expected 5 fields like the header");
    }

    @Test
    void missingAndRepeatedCsvSteps(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Path c = csv(dir, "dup.csv", csvWithLine(7, "2,0,2.5,3.5,2"));
        rejected(out, open("csv", c, 0), c + ":7", "seq_id 2", "t = 0 appears again (first at line 6)");

        c = csv(dir, "gap.csv", csvWithLine(5, "1,2,2.5,3.5,1"));
        rejected(out, open("csv", c, 0), c + ":4", "seq_id 1", "t = 1 is missing");

        c = csv(dir, "noy.csv", csvWithLine(9, "3,1,2.5,3.5,"));
        rejected(out, open("csv", c, 0), c + ":9", "seq_id 3", "y is empty at the last step");
    }

    @Test
    void nonNumericFields(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Path c = csv(dir, "x.csv", csvWithLine(4, "1,0,abc,1.5,"));
        rejected(out, open("csv", c, 0), c + ":4:", "x1 = 'abc' is not a number; expected a decimal number");
        // Java's parser would take "1f" as 1.0; it is not a CSV number
        c = csv(dir, "suffix.csv", csvWithLine(3, "0,1,2.5,1f,0"));
        rejected(out, open("csv", c, 0), c + ":3:", "x2 = '1f' is not a number");
        c = csv(dir, "t.csv", csvWithLine(5, "1,1.0,2.5,3.5,1"));
        rejected(out, open("csv", c, 0), c + ":5:", "t = '1.0' is not a step number");
        c = csv(dir, "y.csv", csvWithLine(9, "3,1,2.5,3.5,high"));
        rejected(out, open("csv", c, 0), c + ":9:", "y = 'high' is not a number");
        c = csv(dir, "empty-x.csv", csvWithLine(2, "0,0,,1.5,"));
        rejected(out, open("csv", c, 0), c + ":2:", "x1 is empty");
        // the first bad line in file order is reported, whatever Spark's order
        c = csv(dir, "two.csv", csvWithLine(8, "3,0,zz,1.5,").replace("1,1,2.5,3.5,1", "1,1,2.5,yy,1"));
        rejected(out, open("csv", c, 0), c + ":5:", "x2 = 'yy'");
    }

    @Test
    void nanAndInfinity(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        List<Row> rows = regression(8, 4, 2, 1);
        for (int r : new int[] {6, 2}) {
            List<List<Float>> f = DataFiles.floatFeatures(r, 4, 2);
            f.get(3).set(1, Float.NaN);
            rows.set(r, RowFactory.create(f, DataFiles.floatTarget(r, 1)));
        }
        Path part = DataFiles.writeParquet(spark, dir.resolve("nan"), floatRegression(), rows);
        rejected(out, open("parquet", dir.resolve("nan"), 0), part + " row 2:", "features[3][1] is NaN",
                "expected a finite number");

        rows = regression(8, 4, 2, 2);
        rows.set(5, RowFactory.create(DataFiles.floatFeatures(5, 4, 2), List.of(1f, Float.NEGATIVE_INFINITY)));
        part = DataFiles.writeParquet(spark, dir.resolve("inf"), floatRegression(), rows);
        rejected(out, open("parquet", dir.resolve("inf"), 0), part + " row 5:", "target[1] is -Infinity");

        Path c = csv(dir, "inf.csv", csvWithLine(6, "2,0,0.5,inf,"));
        rejected(out, open("csv", c, 0), c + ":6:", "x2 = inf; expected a finite number");
        c = csv(dir, "nan.csv", csvWithLine(3, "0,1,NaN,3.5,0"));
        rejected(out, open("csv", c, 0), c + ":3:", "x1 = NaN");
        c = csv(dir, "big.csv", csvWithLine(3, "0,1,1e999,3.5,0"));
        rejected(out, open("csv", c, 0), c + ":3:", "x1 = 1e999 overflows to Infinity");
    }

    @Test
    void wrongLabelArity(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        List<Row> rows = regression(7, 3, 2, 2);
        rows.set(5, RowFactory.create(DataFiles.floatFeatures(5, 3, 2), DataFiles.floatTarget(5, 3)));
        Path part = DataFiles.writeParquet(spark, dir.resolve("arity"), floatRegression(), rows);
        rejected(out, open("parquet", dir.resolve("arity"), 0), part + " row 5:", "target has 3 values", "expected 2");

        rows = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            rows.add(RowFactory.create(DataFiles.floatFeatures(s, 3, 2), s == 2 ? -1 : s % 3));
        }
        part = DataFiles.writeParquet(spark, dir.resolve("negative"), DataFiles.classificationSchema(DataTypes.FloatType), rows);
        rejected(out, open("parquet", dir.resolve("negative"), 0), part + " row 2:", "label is -1",
                "expected a class index >= 0");

        rows = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            rows.add(RowFactory.create(DataFiles.floatFeatures(s, 3, 2), s == 3 ? 4 : 1));
        }
        part = DataFiles.writeParquet(spark, dir.resolve("classes"), DataFiles.classificationSchema(DataTypes.FloatType), rows);
        Path classes = dir.resolve("classes");
        rejected(out, () -> FileDataset.open(spark, "parquet", classes, 0, 0, 3), part + " row 3:", "label is 4",
                "expected a class index in [0, 3)");
    }

    @Test
    void emptyFiles(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Path c = csv(dir, "empty.csv", "");
        rejected(out, open("csv", c, 0), c + ": empty file (0 bytes)", "expected a header line");
        Path t = csv(dir, "empty.txt", "");
        rejected(out, open("text", t, 8), t + ": empty file (0 bytes)", "at least T+1 = 9 characters");
        Path p = csv(dir, "empty.parquet", "");
        rejected(out, open("parquet", p, 0), p + ": empty file (0 bytes)", "expected a Parquet file");

        Path header = csv(dir, "header.csv", "seq_id,t,x1\n\n");
        rejected(out, open("csv", header, 0), header + ": no data lines after the header");
        Path shortText = csv(dir, "short.txt", "abcde");
        rejected(out, open("text", shortText, 8), shortText + ": has 5 characters", "expected at least T+1 = 9");

        Path noRows = dir.resolve("norows");
        DataFiles.writeParquet(spark, noRows, floatRegression(), List.of());
        rejected(out, open("parquet", noRows, 0), noRows + ": no rows");

        Path onlyMarkers = dir.resolve("markers");
        Files.createDirectories(onlyMarkers);
        Files.writeString(onlyMarkers.resolve("_SUCCESS"), "");
        rejected(out, open("parquet", onlyMarkers, 0), onlyMarkers + ": directory has no data files");
    }

    @Test
    void missingPath(@TempDir Path dir) {
        Path out = dir.resolve("out");
        for (String format : new String[] {"parquet", "csv", "text"}) {
            Path missing = dir.resolve("nope." + format);
            rejected(out, open(format, missing, 4), missing + ": no such file or directory");
        }
    }

    @Test
    void wrongLayout(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Path c = csv(dir, "cols.csv", "seq_id,t,x1,label\n0,0,1,2\n");
        rejected(out, open("csv", c, 0), c + ":1:", "unknown column 'label'", "expected the columns seq_id, t");
        c = csv(dir, "not.csv", "seq_id,x1\n0,1\n");
        rejected(out, open("csv", c, 0), c + ":1:", "header has no t column");

        Path two = dir.resolve("two");
        Files.createDirectories(two);
        csv(two, "a.csv", goodCsv());
        Path b = csv(two, "b.csv", "seq_id,t,x1,y\n9,0,1,\n9,1,1,2\n");
        rejected(out, open("csv", two, 0), b + ":1:", "header has columns x1 and y, expected columns x1, x2 and y",
                two.resolve("a.csv").toString());

        Path wrong = dir.resolve("flat");
        DataFiles.writeParquet(spark, wrong, new StructType()
                .add("features", DataTypes.createArrayType(DataTypes.FloatType))
                .add("target", DataTypes.createArrayType(DataTypes.FloatType)), List.of());
        rejected(out, open("parquet", wrong, 0), wrong + ": column features has type array<float>",
                "expected features: array<array<float>>");

        Path garbage = csv(dir, "garbage.parquet", "this is not a Parquet file\n");
        rejected(out, open("parquet", garbage, 0), garbage + ": cannot be read as Parquet");

        Path p = dir.resolve("p");
        DataFiles.writeParquet(spark, p, floatRegression(), regression(2, 2, 1, 1));
        rejected(out, open("json", p, 0), p + ": format 'json' is not supported; expected parquet, csv or text");
        rejected(out, () -> FileDataset.open(spark, "parquet", p, 0, 0.1), p + ": validation fraction 0.1 of 2 sequences");
    }
}
