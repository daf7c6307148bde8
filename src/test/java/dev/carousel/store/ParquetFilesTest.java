package dev.carousel.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The result tables are written by Parquet's own writer, not a Spark job: Spark must read them back with the same
 * column names and types and the same values, nulls included, and in one JVM the same rows must give the same bytes.
 * (Across JVMs the values are the contract, not the bytes: parquet-mr lists each column chunk's encodings in the
 * footer in a HashSet's order of enum constants, whose hash codes differ from one JVM to the next.)
 */
class ParquetFilesTest {
    static final StructType MIXED = new StructType()
            .add("cell", DataTypes.StringType, false)
            .add("t", DataTypes.IntegerType, false)
            .add("round", DataTypes.LongType, false)
            .add("mean", DataTypes.DoubleType, true)
            .add("error", DataTypes.StringType, true)
            .add("diverged_at", DataTypes.LongType, true);

    static final List<Row> ROWS = List.of(
            RowFactory.create("a1", 0, 100L, 1.5, null, null),
            RowFactory.create("a1", 1, 100L, null, "η: non-ASCII survives", -1L),
            RowFactory.create("b2", -7, Long.MAX_VALUE, -0.0, "", 42L),
            RowFactory.create("b2", Integer.MAX_VALUE, 0L, Double.MIN_VALUE, "x", 0L));

    /** A session to read tables with (the CLI tests stop the active one, so get it in each test). */
    private static SparkSession spark() {
        return SparkSession.builder().master("local[1]").getOrCreate();
    }

    @Test
    void sparkReadsBackTheSameColumnsAndValues(@TempDir Path dir) throws IOException {
        Path table = dir.resolve("t");
        ParquetFiles.write(ROWS, MIXED, table);
        try (Stream<Path> files = Files.list(table)) {
            assertEquals(List.of("_SUCCESS", "part-00000.snappy.parquet"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "one file and the marker, no .crc");
        }
        Dataset<Row> read = spark().read().parquet(table.toString()); // no schema given: from the file
        assertEquals(MIXED.fieldNames().length, read.schema().fields().length);
        for (int i = 0; i < MIXED.fields().length; i++) {
            assertEquals(MIXED.fields()[i].name(), read.schema().fields()[i].name());
            assertEquals(MIXED.fields()[i].dataType(), read.schema().fields()[i].dataType(), MIXED.fields()[i].name());
        }
        List<Row> back = read.collectAsList();
        assertEquals(ROWS.size(), back.size());
        for (int r = 0; r < ROWS.size(); r++) {
            for (int c = 0; c < MIXED.fields().length; c++) {
                Object want = ROWS.get(r).get(c);
                Object got = back.get(r).get(c);
                if (want instanceof Double d) { // bit for bit: −0.0 and the smallest subnormal included
                    assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits((Double) got), "row " + r);
                } else {
                    assertEquals(want, got, "row " + r + ", column " + MIXED.fields()[c].name());
                }
            }
        }

        // The same rows give the same bytes in one JVM (tests compare tables across strategies by their bytes).
        Path again = dir.resolve("again");
        ParquetFiles.write(ROWS, MIXED, again);
        assertArrayEquals(Files.readAllBytes(table.resolve("part-00000.snappy.parquet")),
                Files.readAllBytes(again.resolve("part-00000.snappy.parquet")));
    }

    /**
     * The driver reads tables without Spark: what it reads must be what Spark reads from the same folder. The folder
     * is laid out as a sweep's: one file per cell, one of them from an older writer that lacked a nullable column,
     * beside a hidden staging file and a marker that readers skip.
     */
    @Test
    void readingWithoutSparkGivesWhatSparkReads(@TempDir Path dir) throws IOException {
        Path table = Files.createDirectories(dir.resolve("runs"));
        ParquetFiles.write(ROWS.subList(0, 2), MIXED, dir.resolve("w1"));
        StructType older = new StructType(java.util.Arrays.copyOf(MIXED.fields(), MIXED.fields().length - 1));
        List<Row> olderRows = ROWS.subList(2, 4).stream()
                .map(r -> RowFactory.create(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).toList();
        ParquetFiles.write(olderRows, older, dir.resolve("w2"));
        ParquetFiles.write(List.of(RowFactory.create("zz", 1, 1L, 1.0, "hidden", 1L)), MIXED, dir.resolve("w3"));
        Files.copy(dir.resolve("w2/part-00000.snappy.parquet"), table.resolve("b.parquet")); // name order: a, b
        Files.copy(dir.resolve("w1/part-00000.snappy.parquet"), table.resolve("a.parquet"));
        Files.copy(dir.resolve("w3/part-00000.snappy.parquet"), table.resolve(".staging-c.parquet"));
        Files.createFile(table.resolve("_SUCCESS"));

        List<Row> ours = Table.at(table).read(MIXED);
        List<Row> spark = spark().read().schema(MIXED).parquet(table.toString()).collectAsList();
        assertEquals(4, ours.size());
        assertEquals(sorted(spark), sorted(ours), "the same rows as Spark reads");
        assertEquals(List.of("a1", "a1", "b2", "b2"), ours.stream().map(r -> r.getString(0)).toList(), "name order");
        assertTrue(ours.get(2).isNullAt(5), "a column the older file lacks is null");
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(ours.get(2).<Double>getAs("mean")));
        assertEquals(Double.MIN_VALUE, ours.get(3).<Double>getAs("mean"));
        assertEquals("η: non-ASCII survives", ours.get(1).getAs("error"));

        // A projection reads only the named columns, in that order, and its rows carry their names.
        List<Row> two = Table.at(table).read(MIXED, "round", "cell");
        assertEquals(List.of("round", "cell"), List.of(two.get(0).schema().fieldNames()));
        assertEquals(Long.MAX_VALUE, two.get(2).<Long>getAs("round"));
        assertEquals("b2", two.get(2).getString(1));

        assertEquals(List.of(), Table.at(dir.resolve("absent")).read(MIXED), "no folder: no rows");
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Table.at(table).read(MIXED, "cell", "nope"));
        assertTrue(unknown.getMessage().startsWith("column nope is not in the table's schema"), unknown.getMessage());
        StructType wrongType = new StructType().add("cell", DataTypes.StringType, false)
                .add("t", DataTypes.LongType, false); // t is written as int
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> Table.at(table).read(wrongType));
        assertTrue(mismatch.getMessage().contains("a.parquet: column t is") && mismatch.getMessage()
                .endsWith("expected bigint"), mismatch.getMessage());
    }

    private static List<String> sorted(List<Row> rows) {
        return rows.stream().map(r -> {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < r.length(); i++) {
                Object v = r.get(i);
                b.append(v instanceof Double d ? Long.toHexString(Double.doubleToRawLongBits(d)) : String.valueOf(v))
                        .append('|');
            }
            return b.toString();
        }).sorted().toList();
    }

    @Test
    void anEmptyTableStillCarriesItsSchema(@TempDir Path dir) {
        Path table = dir.resolve("empty");
        ParquetFiles.write(List.of(), ResultTables.CURVES, table);
        Dataset<Row> read = spark().read().parquet(table.toString());
        assertEquals(0, read.count());
        assertArrayEquals(ResultTables.CURVES.fieldNames(), read.schema().fieldNames());
    }

    @Test
    void refusesAnExistingFolderANullInARequiredColumnAndOtherTypes(@TempDir Path dir) throws IOException {
        Path exists = Files.createDirectory(dir.resolve("exists"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> ParquetFiles.write(ROWS, MIXED, exists));
        assertTrue(e.getMessage().contains(exists.toString()), e.getMessage());

        IllegalArgumentException nulls = assertThrows(IllegalArgumentException.class, () -> ParquetFiles.write(
                List.of(RowFactory.create(null, 0, 1L, 0.0, null, null)), MIXED, dir.resolve("nulls")));
        assertEquals("column cell is not nullable but holds null", nulls.getMessage());
        assertTrue(Files.notExists(dir.resolve("nulls")), "nothing written for a bad row");

        IllegalArgumentException shortRow = assertThrows(IllegalArgumentException.class, () -> ParquetFiles.write(
                List.of(ROWS.get(0), RowFactory.create("a1", 0)), MIXED, dir.resolve("short")));
        assertEquals("a row of 2 values for 6 columns", shortRow.getMessage());
        assertTrue(Files.notExists(dir.resolve("short")), "nothing written, not even the good first row");

        StructType bools = new StructType().add("flag", DataTypes.BooleanType, false);
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> ParquetFiles.write(List.of(RowFactory.create(true)), bools, dir.resolve("bools")));
        assertEquals("column flag: unsupported type boolean", type.getMessage());
        assertTrue(Files.notExists(dir.resolve("bools")), "nothing written for an unsupported schema");
    }
}
