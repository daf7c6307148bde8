package dev.carousel.sweep;

import dev.carousel.io.Json;
import dev.carousel.store.Folders;
import dev.carousel.store.ResultStore;
import dev.carousel.store.Storage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A sweep's output folder ({@code --out DIR}, on any Hadoop file system):
 * <pre>
 * DIR/sweep.json                  the spec, its cells and provenance (replaced atomically)
 * DIR/runs/                       one row per committed cell      } Delta tables: Parquet files and
 * DIR/curves/                     its evaluations                 } a _delta_log/ (see {@link ResultStore}
 * DIR/step_stats/                 its per-step statistics         } for the commit protocol)
 * DIR/report/                     the HTML report
 * </pre>
 */
public final class SweepStore implements AutoCloseable {
    public static final String MANIFEST = "sweep.json";
    public static final String RUNS = ResultStore.RUNS;
    public static final String CURVES = ResultStore.CURVES;
    public static final String STEP_STATS = ResultStore.STEP_STATS;
    public static final String SUMMARIES = ResultStore.SUMMARIES;
    public static final String REPORT = "report";
    private static final Set<String> OWN = Set.of(MANIFEST, RUNS, CURVES, STEP_STATS, SUMMARIES, REPORT);
    /** How long a finished cell waits, by default, before its group of cells is committed. */
    public static final double COMMIT_SECONDS = 3;
    /** A table with this many files or more is compacted at the end of a run. */
    public static final int COMPACT_FILES = 16;

    private final Path dir;
    private final Configuration conf;
    private final ResultStore tables;
    private final StructType runsSchema;

    private SweepStore(Path dir, Configuration conf, ResultStore tables, StructType runsSchema) {
        this.dir = dir;
        this.conf = conf;
        this.tables = tables;
        this.runsSchema = runsSchema;
    }

    /**
     * Opens {@code dir} for the sweep called {@code name}, refusing a folder that holds another sweep or anything
     * that is not a sweep's output, before anything is written; then repairs what a crash left behind.
     *
     * @param commitSeconds how long a finished cell may wait before its group is committed (0: each cell alone)
     * @param runsSchema    the columns of the {@code runs} rows that {@link #commit} is given
     * @throws IllegalArgumentException (a one-line bad-input error) if the folder cannot hold this sweep
     */
    public static SweepStore open(Path dir, Configuration conf, String name, double commitSeconds,
                                  StructType runsSchema) {
        check(dir, conf, name);
        try {
            Storage.fs(dir, "--out", conf).mkdirs(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        for (String table : List.of(RUNS, CURVES, STEP_STATS, SUMMARIES)) {
            removeHidden(new Path(dir, table), conf);
        }
        return new SweepStore(dir, conf, ResultStore.open(dir, conf, commitSeconds, runsSchema), runsSchema);
    }

    /** The checks of {@link #open}, without writing anything; an unreachable location fails here too. */
    public static void check(Path dir, Configuration conf, String name) {
        if (!Storage.probe(dir, "--out", conf)) {
            return;
        }
        if (!Storage.isDirectory(dir, conf)) {
            throw new IllegalArgumentException("--out " + dir + ": exists and is not a directory");
        }
        Path manifest = new Path(dir, MANIFEST);
        if (Storage.exists(manifest, conf)) {
            Object held;
            try {
                held = Json.parse(Storage.readAll(manifest, conf)).get("name");
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
        List<String> foreign;
        try {
            foreign = Storage.list(dir, conf).stream().map(f -> f.getPath().getName())
                    .filter(n -> !n.startsWith(".") && !OWN.contains(n)).sorted().toList();
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException("--out " + dir + ": cannot list: " + e.getMessage());
        }
        if (!foreign.isEmpty()) {
            throw new IllegalArgumentException("--out " + dir + " is not empty and holds no " + MANIFEST + " (e.g. "
                    + foreign.get(0) + "); a sweep writes only into an empty or new folder, or one of its own");
        }
    }

    public Path dir() {
        return dir;
    }

    public Configuration conf() {
        return conf;
    }

    /** The columns of the {@code runs} rows {@link #commit} takes. */
    public StructType runsSchema() {
        return runsSchema;
    }

    /** Ids of the cells committed in the sweep folder {@code dir}, read without opening (or repairing) it. */
    public static List<String> committed(Path dir, Configuration conf) {
        return ResultStore.committedCells(dir, conf);
    }

    /** Cell id to status, of the committed cells. */
    public Map<String, String> statuses() {
        return tables.statuses();
    }

    /** Adds one cell's rows to the group being gathered; {@link ResultStore} commits it within seconds. */
    public void commit(String cell, Row run, List<Row> curves, List<Row> stepStats, List<Row> summaries) {
        tables.add(cell, run, curves, stepStats, summaries);
    }

    /** Commits every cell gathered so far. */
    public void flush() {
        tables.flush();
    }

    /**
     * Compacts each table of {@value #COMPACT_FILES} files or more into files of about 16 MiB
     * ({@link ResultStore#compact}).
     *
     * @return how many files fewer the tables hold
     */
    public int compact() {
        return tables.compact(COMPACT_FILES, 16L << 20);
    }

    /** Replaces {@code sweep.json} atomically. */
    public void writeManifest(Map<String, Object> manifest) {
        Storage.writeAtomically(new Path(dir, MANIFEST), Json.toString(manifest).getBytes(StandardCharsets.UTF_8), conf);
    }

    /** The manifest, or null if there is none. */
    public Map<String, Object> readManifest() {
        Path file = new Path(dir, MANIFEST);
        return Storage.exists(file, conf) ? Json.parse(Storage.readAll(file, conf)) : null;
    }

    /**
     * Writes the report: {@code writer} fills a local folder, which then replaces {@code DIR/report/} as a
     * {@link Folders} folder.
     *
     * @return the report's {@code index.html}
     */
    public Path publishReport(Folders.Writer writer) {
        Path target = new Path(dir, REPORT);
        Folders.write(target, conf, writer);
        return new Path(target, "index.html");
    }

    /** Commits what is gathered. */
    @Override
    public void close() {
        tables.close();
    }

    /** Removes the hidden staging entries an older writer left inside a table folder (never the Delta log). */
    private static void removeHidden(Path table, Configuration conf) {
        for (FileStatus f : Storage.list(table, conf)) {
            if (f.getPath().getName().startsWith(".")) {
                Storage.delete(f.getPath(), conf);
            }
        }
    }
}
