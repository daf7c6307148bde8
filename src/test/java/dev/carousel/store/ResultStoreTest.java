package dev.carousel.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commit protocol of {@link ResultStore} on local disk: cells gathered into one group per flush, a cell committed
 * again replacing its rows, and what a writer killed between the commits of one group leaves repaired on open.
 */
class ResultStoreTest {
    private static final Configuration CONF = new Configuration();

    /** A runs row with the given cell and status; the other columns are fixed values. */
    static Row run(String cell, String status) {
        return RowFactory.create(cell, "adding", 10, "lstm", "learned", "learned(1.0)", 8, 1.0, "orthogonal", "adam",
                0.01, 4, 1L, status, 5L, null, 0.5, 0.4, 0.4, "mse", 1.0, null, null, "{}");
    }

    static Row curve(String cell, long update) {
        return RowFactory.create(cell, update, update * 4, 0.5, 0.4, 0.4, 1.0);
    }

    static Row stat(String cell, int t) {
        return RowFactory.create(cell, 0L, t, 9 - t, "dh", 4L, 0L, -1.0, 0.1, -1.2, -0.8, -1.1, -1.0, -0.9);
    }

    private static long dataFiles(Path table) throws IOException {
        try (Stream<Path> files = Files.list(table)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).count();
        }
    }

    private static Map<String, Long> rowsPerCell(Path table) {
        Map<String, Long> m = new TreeMap<>();
        Table.at(table).read(ResultTables.CURVES, "cell").forEach(r -> m.merge(r.getString(0), 1L, Long::sum));
        return m;
    }

    @Test
    void cellsAddedBeforeAFlushShareOneFilePerTableAndAreCommittedTogether(@TempDir Path dir) throws IOException {
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 3600)) {
            for (int i = 0; i < 5; i++) {
                store.add("c" + i, run("c" + i, "completed"), List.of(curve("c" + i, 0), curve("c" + i, 5)),
                        List.of(stat("c" + i, 0)), List.of());
            }
            assertEquals(List.of(), ResultStore.committedCells(Storage.local(dir), CONF), "nothing before the flush");
            store.flush();
            assertEquals(List.of("c0", "c1", "c2", "c3", "c4"), ResultStore.committedCells(Storage.local(dir), CONF));
            store.add("c5", run("c5", "diverged"), List.of(), List.of(), List.of());
        } // close flushes the last group
        assertEquals(2, dataFiles(dir.resolve("runs")), "one file per group");
        for (String t : List.of("curves", "step_stats")) {
            assertEquals(1, dataFiles(dir.resolve(t)), t + ": a group without such rows writes no file");
        }
        try (ResultStore again = ResultStore.open(Storage.local(dir), CONF, 3600)) {
            assertEquals(6, again.statuses().size());
            assertEquals("diverged", again.statuses().get("c5"));
        }
    }

    @Test
    void aCellCommittedAgainReplacesItsRowsAndKeepsTheOtherCellsOfItsGroup(@TempDir Path dir) {
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 3600)) {
            store.add("a", run("a", "failed"), List.of(curve("a", 0)), List.of(stat("a", 0)), List.of());
            store.add("b", run("b", "completed"), List.of(curve("b", 0), curve("b", 5)), List.of(stat("b", 0)), List.of());
        }
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 3600)) {
            store.add("a", run("a", "completed"), List.of(curve("a", 0), curve("a", 5), curve("a", 10)),
                    List.of(stat("a", 0), stat("a", 1)), List.of());
        }
        List<Row> runs = Table.at(dir.resolve("runs")).read(ResultTables.RUNS, "cell", "status");
        assertEquals(List.of("a=completed", "b=completed"),
                runs.stream().map(r -> r.getString(0) + "=" + r.getString(1)).sorted().toList());
        assertEquals(Map.of("a", 3L, "b", 2L), rowsPerCell(dir.resolve("curves")));
        assertEquals(3, Table.at(dir.resolve("step_stats")).read(ResultTables.STEP_STATS).size());
    }

    /**
     * A writer killed after committing a group's curves and step statistics but before its runs entry: on open the
     * orphaned rows leave the tables and the unnamed files are deleted, so the cell is simply not committed.
     */
    @Test
    void openRemovesTheRowsOfAGroupWhoseRunsCommitNeverHappened(@TempDir Path dir) throws IOException {
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 3600)) {
            store.add("kept", run("kept", "completed"), List.of(curve("kept", 0)), List.of(stat("kept", 0)), List.of());
        }
        // The first two commits of a group, as a flush makes them, and an uncommitted data file.
        Table curves = Table.at(dir.resolve("curves"));
        Table stats = Table.at(dir.resolve("step_stats"));
        org.apache.hadoop.fs.Path orphanCurve = new org.apache.hadoop.fs.Path(curves.dir(), "part-orphan.snappy.parquet");
        org.apache.hadoop.fs.Path orphanStat = new org.apache.hadoop.fs.Path(stats.dir(), "part-orphan.snappy.parquet");
        org.apache.hadoop.fs.FileSystem fs = Storage.dataFs(Storage.fs(curves.dir(), CONF));
        long b1 = ParquetFiles.writeFile(List.of(curve("lost", 0)), ResultTables.CURVES, fs, orphanCurve);
        curves.commit(ResultTables.CURVES, List.of(curves.add(orphanCurve, b1, java.util.Set.of("part-orphan"), true)),
                "append");
        long b2 = ParquetFiles.writeFile(List.of(stat("lost", 0)), ResultTables.STEP_STATS, fs, orphanStat);
        stats.commit(ResultTables.STEP_STATS, List.of(stats.add(orphanStat, b2, java.util.Set.of("part-orphan"), true)),
                "append");
        ParquetFiles.writeFile(List.of(run("never", "completed")), ResultTables.RUNS, fs,
                new org.apache.hadoop.fs.Path(Storage.local(dir.resolve("runs")), "part-never.snappy.parquet"));
        assertEquals(Map.of("kept", 1L, "lost", 1L), rowsPerCell(dir.resolve("curves")), "before the repair");

        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 3600)) {
            assertEquals(Map.of("kept", "completed"), store.statuses());
        }
        assertEquals(Map.of("kept", 1L), rowsPerCell(dir.resolve("curves")));
        assertEquals(List.of("kept"), Table.at(dir.resolve("step_stats")).read(ResultTables.STEP_STATS, "cell")
                .stream().map(r -> r.getString(0)).toList());
        assertTrue(Files.notExists(dir.resolve("runs/part-never.snappy.parquet")), "an uncommitted file is deleted");
        assertEquals(1, dataFiles(dir.resolve("curves")), "the removed orphan's file is deleted too");
    }

    /** A folder written before the log (one CELL.parquet per table and cell) is taken over as the first version. */
    @Test
    void aFolderWrittenBeforeTheLogIsAdoptedWithOnlyItsCommittedCells(@TempDir Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        for (String cell : List.of("x", "y")) {
            ParquetFiles.write(List.of(run(cell, "completed")), ResultTables.RUNS, dir.resolve("w-runs-" + cell));
            Files.createDirectories(dir.resolve("runs"));
            Files.move(dir.resolve("w-runs-" + cell + "/part-00000.snappy.parquet"), dir.resolve("runs/" + cell + ".parquet"));
            names.add(cell);
        }
        for (String cell : List.of("x", "y", "z")) { // z: curves written, runs not (a folder from before the log, killed mid-cell)
            ParquetFiles.write(List.of(curve(cell, 0)), ResultTables.CURVES, dir.resolve("w-curves-" + cell));
            Files.createDirectories(dir.resolve("curves"));
            Files.move(dir.resolve("w-curves-" + cell + "/part-00000.snappy.parquet"),
                    dir.resolve("curves/" + cell + ".parquet"));
        }
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 3600)) {
            assertEquals(Map.of("x", "completed", "y", "completed"), store.statuses());
        }
        assertTrue(Table.at(dir.resolve("runs")).isDelta());
        assertEquals(Map.of("x", 1L, "y", 1L), rowsPerCell(dir.resolve("curves")));
        assertTrue(Files.notExists(dir.resolve("curves/z.parquet")), "the uncommitted cell's file is deleted");
    }

    /** A writer with a new column widens the table: older rows read it as null, Spark's Delta reader included. */
    @Test
    void aNewColumnIsAddedToTheTableAndOlderRowsReadItAsNull(@TempDir Path dir) {
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 0)) {
            store.add("old", run("old", "completed"), List.of(), List.of(), List.of());
        }
        org.apache.spark.sql.types.StructType wider = ResultTables.RUNS.add("axis_x", "bigint", true);
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 0, wider)) {
            Object[] values = new Object[wider.size()];
            Row base = run("new", "completed");
            for (int i = 0; i < base.length(); i++) {
                values[i] = base.get(i);
            }
            values[base.length()] = 7L;
            store.add("new", new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(values, wider), List.of(),
                    List.of(), List.of());
        }
        assertEquals(wider, Table.at(dir.resolve("runs")).schema());
        Map<String, Object> x = new TreeMap<>();
        Table.at(dir.resolve("runs")).read(wider, "cell", "axis_x").forEach(r -> x.put(r.getString(0), r.get(1)));
        java.util.HashMap<String, Object> expected = new java.util.HashMap<>();
        expected.put("old", null);
        expected.put("new", 7L);
        assertEquals(expected, new java.util.HashMap<>(x));
        // A writer of the narrower schema keeps the column (null in its rows).
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 0)) {
            store.add("third", run("third", "completed"), List.of(), List.of(), List.of());
        }
        assertEquals(wider, Table.at(dir.resolve("runs")).schema());
    }

    /**
     * Compaction rewrites many group files into one per table with the same rows (Spark's Delta reader sees them too);
     * a later open keeps them all committed, deletes the replaced files, and a cell committed again still replaces
     * only its own rows.
     */
    @Test
    void compactionKeepsEveryRowAndTheTablesStayRepairable(@TempDir Path dir) throws IOException {
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 0)) {
            for (int i = 0; i < 20; i++) { // flushSeconds 0: one group per cell
                store.add("c" + i, run("c" + i, i == 3 ? "failed" : "completed"), List.of(curve("c" + i, 0)),
                        List.of(stat("c" + i, 0), stat("c" + i, 1)), List.of());
            }
            assertEquals(20, dataFiles(dir.resolve("runs")));
            assertEquals(0, store.compact(21, 16L << 20), "below the threshold nothing changes");
            assertEquals(3 * 19, store.compact(16, 16L << 20));
        }
        assertEquals(20, Table.at(dir.resolve("runs")).files().size() + 19, "one file per table");
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 0)) {
            assertEquals(20, store.statuses().size(), "every cell still committed after the repair on open");
            assertEquals("failed", store.statuses().get("c3"));
            store.add("c3", run("c3", "completed"), List.of(curve("c3", 0), curve("c3", 5)), List.of(stat("c3", 0)), List.of());
        }
        ResultStore.open(Storage.local(dir), CONF, 0).close(); // deletes what the compaction and the rerun replaced
        for (String t : List.of("runs", "curves", "step_stats")) {
            assertEquals(Table.at(dir.resolve(t)).files().size(), dataFiles(dir.resolve(t)),
                    t + ": replaced files are deleted by a later open");
        }
        Map<String, Long> curves = rowsPerCell(dir.resolve("curves"));
        assertEquals(20, curves.size());
        assertEquals(2L, curves.get("c3"));
        assertEquals(1L, curves.get("c7"));
        assertEquals(20 * 2 - 1, Table.at(dir.resolve("step_stats")).read(ResultTables.STEP_STATS).size());
        List<Row> runs = Table.at(dir.resolve("runs")).read(ResultTables.RUNS, "cell", "status");
        assertEquals(20, runs.size());
        assertTrue(runs.stream().allMatch(r -> r.getString(1).equals("completed")));
    }

    /**
     * Compaction bins each table on its own, so after it a runs file and the curves files can name different sets of
     * groups. A cell committed again must still replace only its own rows, and a later open must keep every other
     * cell's rows.
     */
    @Test
    void aCellCommittedAgainAfterUnevenCompactionKeepsEveryOtherCellsRows(@TempDir Path dir) {
        List<Row> many = new java.util.ArrayList<>();
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 0)) {
            for (int i = 0; i < 20; i++) {
                String cell = "c" + i;
                many.clear();
                for (long u = 0; u < 2_000; u++) {
                    many.add(curve(cell, u));
                }
                store.add(cell, run(cell, i == 7 ? "failed" : "completed"), many, List.of(stat(cell, 0)), List.of());
            }
            store.compact(16, 40_000); // curves files of tens of KB bin in small groups, runs files all together
        }
        assertTrue(Table.at(dir.resolve("curves")).files().size() > Table.at(dir.resolve("runs")).files().size(),
                "the tables were binned differently");
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 0)) {
            store.add("c7", run("c7", "completed"), List.of(curve("c7", 0), curve("c7", 5)), List.of(stat("c7", 0)), List.of());
        }
        ResultStore.open(Storage.local(dir), CONF, 0).close(); // the repair a later run does
        Map<String, Long> curves = rowsPerCell(dir.resolve("curves"));
        assertEquals(20, curves.size(), curves.toString());
        for (int i = 0; i < 20; i++) {
            assertEquals(i == 7 ? 2L : 2_000L, curves.get("c" + i), "c" + i);
        }
        assertEquals(20, Table.at(dir.resolve("step_stats")).read(ResultTables.STEP_STATS).size());
        List<Row> runs = Table.at(dir.resolve("runs")).read(ResultTables.RUNS, "cell", "status");
        assertEquals(20, runs.size());
        assertTrue(runs.stream().allMatch(r -> r.getString(1).equals("completed")));
    }

    /**
     * A writer killed after some tables of a folder written before the log were taken over: the next open finishes
     * the take-over and loses no committed cell.
     */
    @Test
    void aTakeOverKilledHalfWayIsFinishedByTheNextOpen(@TempDir Path dir) throws IOException {
        for (String cell : List.of("x", "y")) {
            ParquetFiles.write(List.of(run(cell, "completed")), ResultTables.RUNS, dir.resolve("w-runs-" + cell));
            Files.createDirectories(dir.resolve("runs"));
            Files.move(dir.resolve("w-runs-" + cell + "/part-00000.snappy.parquet"), dir.resolve("runs/" + cell + ".parquet"));
            ParquetFiles.write(List.of(curve(cell, 0)), ResultTables.CURVES, dir.resolve("w-curves-" + cell));
            Files.createDirectories(dir.resolve("curves"));
            Files.move(dir.resolve("w-curves-" + cell + "/part-00000.snappy.parquet"),
                    dir.resolve("curves/" + cell + ".parquet"));
        }
        // The curves table's take-over committed, the process died before runs'.
        Table curves = Table.at(dir.resolve("curves"));
        List<io.delta.standalone.actions.Action> adds = new java.util.ArrayList<>();
        for (org.apache.hadoop.fs.Path f : curves.files()) {
            adds.add(curves.add(f, Files.size(Path.of(f.toUri().getPath())), java.util.Set.of(ResultStore.group(f.getName())),
                    true));
        }
        curves.commit(ResultTables.CURVES, adds, "adopt");
        try (ResultStore store = ResultStore.open(Storage.local(dir), CONF, 0)) {
            assertEquals(Map.of("x", "completed", "y", "completed"), store.statuses());
        }
        assertEquals(Map.of("x", 1L, "y", 1L), rowsPerCell(dir.resolve("curves")));
    }
}
