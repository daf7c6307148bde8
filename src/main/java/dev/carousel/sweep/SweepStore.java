package dev.carousel.sweep;

import dev.carousel.io.AtomicDirectory;
import dev.carousel.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A sweep's output folder ({@code --out DIR}, DESIGN.md §Results):
 * <pre>
 * DIR/sweep.json                  the spec, its cells and provenance (replaced atomically)
 * DIR/runs/CELL.parquet           one row per committed cell
 * DIR/curves/CELL.parquet         its evaluations
 * DIR/step_stats/CELL.parquet     its per-step statistics
 * DIR/report/                     the HTML report (replaced atomically)
 * </pre>
 * Each table is a folder of Parquet files, one per cell, which Spark ({@code spark.read.parquet("DIR/runs")}),
 * pandas and pyarrow read as one table. A cell is committed by writing its three files into a hidden staging
 * folder and renaming them into place, {@code runs} last: a cell is committed exactly when its {@code runs} file
 * exists, every file is whole or absent, and a crash before the last rename leaves a cell that is simply run
 * again (its earlier files are replaced by the same content). Readers ignore the hidden ({@code .}-prefixed)
 * staging entries, which the next run removes.
 */
public final class SweepStore {
    public static final String MANIFEST = "sweep.json";
    public static final String RUNS = "runs";
    public static final String CURVES = "curves";
    public static final String STEP_STATS = "step_stats";
    public static final String REPORT = "report";
    private static final Set<String> OWN = Set.of(MANIFEST, RUNS, CURVES, STEP_STATS, REPORT);
    private static final String PARQUET = ".parquet";

    private final Path dir;

    private SweepStore(Path dir) {
        this.dir = dir;
    }

    /**
     * Opens {@code dir} for the sweep called {@code name}, refusing a folder that holds another sweep or anything
     * that is not a sweep's output, before anything is written; then removes what a crash left behind.
     *
     * @throws IllegalArgumentException (a one-line bad-input error) if the folder cannot hold this sweep
     */
    public static SweepStore open(Path dir, String name) {
        check(dir, name);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        AtomicDirectory.cleanStale(dir);
        for (String table : List.of(RUNS, CURVES, STEP_STATS)) {
            removeHidden(dir.resolve(table));
        }
        return new SweepStore(dir);
    }

    /** The checks of {@link #open}, without writing anything. */
    public static void check(Path dir, String name) {
        if (!Files.exists(dir)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--out " + dir + ": exists and is not a directory");
        }
        Path manifest = dir.resolve(MANIFEST);
        if (Files.exists(manifest)) {
            Object held;
            try {
                held = Json.read(manifest).get("name");
            } catch (UncheckedIOException e) {
                throw new IllegalArgumentException(manifest + ": unreadable sweep manifest (" + e.getMessage()
                        + "); use another --out folder");
            }
            if (!name.equals(held)) {
                throw new IllegalArgumentException("--out " + dir + " holds the results of sweep '" + held + "' ("
                        + manifest + "); sweep '" + name + "' needs its own folder (accepted: an empty or new folder, "
                        + "or one holding sweep '" + name + "')");
            }
            return;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            List<String> foreign = entries.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".") && !OWN.contains(n)).sorted().toList();
            if (!foreign.isEmpty()) {
                throw new IllegalArgumentException("--out " + dir + " is not empty and holds no " + MANIFEST + " (e.g. "
                        + foreign.get(0) + "); a sweep writes only into an empty or new folder, or one of its own");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--out " + dir + ": cannot list: " + e.getMessage());
        }
    }

    public Path dir() {
        return dir;
    }

    /** Ids of the committed cells: those with a {@code runs} file. */
    public List<String> committed() {
        return committed(dir);
    }

    /** Ids of the cells committed in the sweep folder {@code dir}, read without opening (or cleaning) it. */
    public static List<String> committed(Path dir) {
        return cellFiles(dir.resolve(RUNS));
    }

    /** Cell id to status, read from the {@code runs} table (empty when nothing is committed). */
    public Map<String, String> statuses() {
        Map<String, String> out = new LinkedHashMap<>();
        if (committed().isEmpty()) {
            return out;
        }
        for (Row r : ResultTables.read(dir.resolve(RUNS), ResultTables.RUNS, "cell", "status")) {
            out.put(r.getString(0), r.getString(1));
        }
        return out;
    }

    /**
     * Commits one cell's rows: each table is written ({@link ResultTables#write}) into a hidden staging folder, and
     * its single Parquet file renamed to {@code TABLE/CELL.parquet}, {@code runs} last. A table without rows gets no file.
     */
    public void commit(String cell, Row run, List<Row> curves, List<Row> stepStats) {
        Path staging = dir.resolve(".staging-cell-" + cell + "-" + UUID.randomUUID());
        try {
            Files.createDirectories(staging);
            place(staging, STEP_STATS, cell, stepStats, ResultTables.STEP_STATS);
            place(staging, CURVES, cell, curves, ResultTables.CURVES);
            place(staging, RUNS, cell, List.of(run), ResultTables.RUNS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit cell " + cell + " to " + dir + ": " + e.getMessage(), e);
        } finally {
            AtomicDirectory.deleteRecursively(staging);
        }
    }

    /** Replaces {@code sweep.json} atomically. */
    public void writeManifest(Map<String, Object> manifest) {
        Json.writeAtomically(dir.resolve(MANIFEST), manifest);
    }

    private void place(Path staging, String table, String cell, List<Row> rows, StructType schema)
            throws IOException {
        if (rows.isEmpty()) {
            return;
        }
        Path written = staging.resolve(table);
        ResultTables.write(rows, schema, written);
        List<Path> parts = ResultTables.tableFiles(written);
        if (parts.size() != 1) {
            throw new IOException("expected one Parquet file in " + written + ", found " + parts.size());
        }
        Path part = parts.get(0);
        Path tableDir = Files.createDirectories(dir.resolve(table));
        Files.move(part, tableDir.resolve(cell + PARQUET), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<String> cellFiles(Path table) {
        return ResultTables.tableFiles(table).stream().map(p -> p.getFileName().toString())
                .map(n -> n.substring(0, n.length() - PARQUET.length())).toList();
    }

    private static void removeHidden(Path table) {
        if (!Files.isDirectory(table)) {
            return;
        }
        try (Stream<Path> files = Files.list(table)) {
            for (Path p : files.filter(p -> p.getFileName().toString().startsWith(".")).toList()) {
                AtomicDirectory.deleteRecursively(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + table + ": " + e.getMessage(), e);
        }
    }
}
