package dev.carousel.store;

import io.delta.standalone.actions.Action;
import io.delta.standalone.actions.AddFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The result tables of a sweep folder, {@code runs} and its child tables {@code curves}, {@code step_stats} and
 * {@code summaries} (rows keyed by cell), each a Delta {@link Table}, with cells committed in groups.
 *
 * <p><b>Commit protocol.</b> Finished cells wait in memory until the group is flushed: when the oldest has waited
 * {@code flushSeconds}, when the group grows large, and at {@link #close()}. A flush writes one Parquet file per
 * table, all named after the group ({@code part-GROUP.snappy.parquet}), then commits the child tables and last
 * {@code runs}, each one Delta log entry. A cell is committed exactly when a committed {@code runs} file holds it.
 * {@link #open} repairs what a killed writer left: child-table files whose group has no {@code runs} file are
 * removed from the log, and data files no log
 * entry names are deleted. So a killed driver loses the cells it was running and those finished less than
 * {@code flushSeconds} before (at most one group), never half a cell; the next run trains them again.
 *
 * <p>A cell committed again ({@code --rerun-failed}) replaces its rows: the files that held them are rewritten
 * without them into the new group, and the old files are removed from the log ({@code runs} in the same entry that
 * adds the new group, the other tables in an entry after it, which {@link #open} completes if it was not written).
 *
 * <p>Folders written before the log (one {@code CELL.parquet} per table and cell) are taken over on open: their
 * files are committed as the tables' first version.
 *
 * <p>One writer at a time: a second live writer on the same folder is not detected (jobs/cron runs sweeps under
 * {@code flock}). Readers need not coordinate with the writer.
 */
public final class ResultStore implements AutoCloseable {
    public static final String RUNS = "runs";
    public static final String CURVES = "curves";
    public static final String STEP_STATS = "step_stats";
    public static final String SUMMARIES = "summaries";
    private static final String SUFFIX = ".snappy.parquet";
    /** A group is flushed early once it holds this many rows in all (bounds the driver's memory). */
    private static final int MAX_PENDING_ROWS = 500_000;

    private final Path dir;
    private final Configuration conf;
    private final FileSystem fs;
    private final Table runs;
    /** The tables whose rows belong to a cell's {@code runs} row, in the order {@link #add} takes their rows. */
    private final List<Child> children;
    private final long flushNanos;
    /** The columns of {@code runs}: those the table has, then those this writer adds. */
    private StructType runsSchema = ResultTables.RUNS;
    /** Committed cell to the group whose files hold its rows, and to its status. */
    private final Map<String, String> fileOf = new HashMap<>();
    private final Map<String, String> statuses = new LinkedHashMap<>();
    private final List<Pending> pending = new ArrayList<>();
    /** Held while a group is written and committed: one at a time, in order. */
    private final Object flushing = new Object();
    private int pendingRows;
    private long oldestPending;
    private final ScheduledExecutorService timer;
    private volatile RuntimeException failure;

    /** A table whose rows belong to a cell's {@code runs} row, with the schema its rows are written in. */
    record Child(Table table, StructType schema) {}

    private record Pending(String cell, Row run, List<List<Row>> children) {}

    private ResultStore(Path dir, Configuration conf, double flushSeconds) {
        this.dir = dir;
        this.conf = conf;
        this.fs = Storage.dataFs(Storage.fs(dir, conf));
        this.runs = Table.at(new Path(dir, RUNS), conf);
        this.children = List.of(new Child(Table.at(new Path(dir, CURVES), conf), ResultTables.CURVES),
                new Child(Table.at(new Path(dir, STEP_STATS), conf), ResultTables.STEP_STATS),
                new Child(Table.at(new Path(dir, SUMMARIES), conf), ResultTables.SUMMARIES));
        this.flushNanos = (long) (flushSeconds * 1e9);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "carousel-result-flush");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens the tables in folder {@code dir} for writing, after taking over a folder written before the log and
     * repairing what a killed writer left (see the class comment).
     *
     * @param flushSeconds how long a finished cell may wait before its group is committed
     */
    public static ResultStore open(Path dir, Configuration conf, double flushSeconds) {
        return open(dir, conf, flushSeconds, ResultTables.RUNS);
    }

    /**
     * As {@link #open(Path, Configuration, double)}, for {@code runs} rows with the columns of {@code runs}: the
     * {@link ResultTables#RUNS} columns first, then any others (a sweep's axes and provenance). Columns the table
     * has and {@code runs} lacks stay (null in new rows); columns it lacks are added at the end (null in old rows).
     *
     * @throws IllegalArgumentException if a column of {@code runs} exists in the table with another type
     */
    public static ResultStore open(Path dir, Configuration conf, double flushSeconds, StructType runs) {
        ResultStore s = new ResultStore(dir, conf, flushSeconds);
        StoreRecovery recovery = new StoreRecovery(s.runs, s.children, s.fs, conf);
        recovery.adoptPlainFolders();
        s.runsSchema = union(s.runs.schema(), runs, dir);
        List<AddFile> runFiles = s.runs.committed();
        recovery.repair(runFiles);
        s.loadCommitted(runFiles);
        long period = Math.max(100, Math.min(1000, s.flushNanos / 4_000_000));
        s.timer.scheduleWithFixedDelay(s::flushIfDue, period, period, TimeUnit.MILLISECONDS);
        return s;
    }

    /** Cell id to status, of every committed cell. */
    public synchronized Map<String, String> statuses() {
        return new LinkedHashMap<>(statuses);
    }

    /**
     * Adds one finished cell's rows to the group being gathered; they are committed by a later flush.
     *
     * @throws RuntimeException the error of an earlier flush, which leaves the store unusable
     */
    public void add(String cell, Row run, List<Row> curveRows, List<Row> stepStatRows, List<Row> summaryRows) {
        boolean full;
        synchronized (this) {
            rethrow();
            if (pending.isEmpty()) {
                oldestPending = System.nanoTime();
            }
            pending.add(new Pending(cell, conform(run), List.of(List.copyOf(curveRows), List.copyOf(stepStatRows),
                    List.copyOf(summaryRows))));
            pendingRows += 1 + curveRows.size() + stepStatRows.size() + summaryRows.size();
            full = pendingRows >= MAX_PENDING_ROWS || flushNanos <= 0;
        }
        if (full) {
            flush();
        }
    }

    /**
     * Commits the cells gathered so far as one group (nothing if there are none). Cells keep being added while a
     * group is written; they go into the next group.
     */
    public void flush() {
        synchronized (flushing) {
            List<Pending> group;
            synchronized (this) {
                rethrow();
                group = new ArrayList<>(pending);
                pending.clear();
                pendingRows = 0;
            }
            if (group.isEmpty()) {
                return;
            }
            try {
                commitGroup(group);
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            } catch (Error e) { // e.g. a class-path clash on a cluster: recorded, or the timer would drop it
                failure = new IllegalStateException(e.toString(), e);
                throw e;
            }
        }
    }

    /**
     * Compacts each table that has at least {@code minFiles} committed files: its files, in commit order, are read
     * and rewritten into files of about {@code targetBytes} each, each tagged with every group of the files it
     * replaces, and the swap is one log entry that changes no row ({@code dataChange = false}), so readers see the
     * same rows before and after. The child tables are compacted before {@code runs}; a file
     * belongs to the tables while any of its groups has a {@code runs} file, so a writer killed between two
     * compactions leaves nothing for {@link #open} to remove. The replaced files are deleted by the next
     * {@link #open}, not at once, so that a reader of the previous version can finish.
     *
     * @return the number of files the tables hold fewer
     */
    public int compact(int minFiles, long targetBytes) {
        int saved = 0;
        synchronized (flushing) {
            synchronized (this) {
                rethrow();
            }
            for (Child c : children) {
                saved += compact(c.table(), c.schema(), minFiles, targetBytes);
            }
            saved += compact(runs, runsSchema, minFiles, targetBytes);
        }
        return saved;
    }

    private int compact(Table table, StructType schema, int minFiles, long targetBytes) {
        List<AddFile> files = table.committed();
        if (files.size() < minFiles) {
            return 0;
        }
        // Bins of consecutive files up to targetBytes (a file larger than that stays as it is).
        List<List<AddFile>> bins = new ArrayList<>();
        List<AddFile> bin = new ArrayList<>();
        long binBytes = 0;
        for (AddFile a : files.stream().sorted(java.util.Comparator.comparingLong(AddFile::getModificationTime)
                .thenComparing(AddFile::getPath)).toList()) {
            if (!bin.isEmpty() && binBytes + a.getSize() > targetBytes) {
                bins.add(bin);
                bin = new ArrayList<>();
                binBytes = 0;
            }
            bin.add(a);
            binBytes += a.getSize();
        }
        bins.add(bin);
        List<Action> actions = new ArrayList<>();
        int saved = 0;
        long now = System.currentTimeMillis();
        for (List<AddFile> b : bins) {
            if (b.size() < 2) {
                continue;
            }
            List<Row> rows = new ArrayList<>();
            table.forEachRow(b.stream().map(a -> new Path(table.dir(), a.getPath())).toList(), schema, rows::add);
            Set<String> groups = new java.util.TreeSet<>();
            b.forEach(a -> groups.addAll(groupsOf(a)));
            Path file = new Path(table.dir(), "part-" + UUID.randomUUID() + SUFFIX);
            try {
                long bytes = ParquetFiles.writeFile(rows, schema, fs, file);
                actions.add(table.add(file, bytes, groups, false));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file + ": " + Storage.oneLine(e), e);
            }
            b.forEach(a -> actions.add(a.remove(now, false)));
            saved += b.size() - 1;
        }
        if (!actions.isEmpty()) {
            // The replaced files stay on disk for readers that listed an older version; the next open deletes them.
            table.commit(schema, actions, "compact");
        }
        return saved;
    }

    /** Commits what is gathered and stops the flush timer. */
    @Override
    public void close() {
        timer.shutdown(); // a flush the timer is running finishes (interrupting it would lose its group)
        try {
            timer.awaitTermination(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }

    private void flushIfDue() {
        synchronized (this) {
            if (failure != null || pending.isEmpty() || System.nanoTime() - oldestPending < flushNanos) {
                return;
            }
        }
        try {
            flush();
        } catch (RuntimeException e) {
            // recorded in failure by flush, and reported to the next add, flush or close
        }
    }

    private void rethrow() {
        if (failure != null) {
            throw new IllegalStateException("committing results to " + dir + " failed: " + failure.getMessage(), failure);
        }
    }

    // ---------------------------------------------------------------- one group

    private void commitGroup(List<Pending> pending) {
        String group = "part-" + UUID.randomUUID();
        Set<String> again = new HashSet<>();
        Set<String> againFiles = new HashSet<>();
        synchronized (this) {
            for (Pending p : pending) {
                String old = fileOf.get(p.cell());
                if (old != null) {
                    again.add(p.cell());
                    againFiles.add(old);
                }
            }
        }
        // Cells committed again: every file, of any table, that shares a group with the runs files holding them is
        // rewritten into the new group, closed over shared groups, so the three tables keep naming the same groups
        // (compaction bins each table on its own).
        Set<String> replacedGroups = new HashSet<>();
        if (!again.isEmpty()) {
            Map<Table, List<AddFile>> now = new HashMap<>();
            now.put(runs, runs.committed());
            children.forEach(c -> now.put(c.table(), c.table().committed()));
            now.get(runs).stream().filter(a -> againFiles.contains(new Path(runs.dir(), a.getPath()).getName()))
                    .forEach(a -> replacedGroups.addAll(groupsOf(a)));
            boolean grew = true;
            while (grew) {
                grew = false;
                for (List<AddFile> files : now.values()) {
                    for (AddFile a : files) {
                        Set<String> g = groupsOf(a);
                        if (g.stream().anyMatch(replacedGroups::contains) && !replacedGroups.containsAll(g)) {
                            replacedGroups.addAll(g);
                            grew = true;
                        }
                    }
                }
            }
        }
        Set<String> tags = new HashSet<>(replacedGroups);
        tags.add(group);
        List<Row> runRows = new ArrayList<>();
        List<List<Row>> childRows = new ArrayList<>();
        children.forEach(c -> childRows.add(new ArrayList<>()));
        for (Pending p : pending) {
            runRows.add(p.run());
            for (int k = 0; k < children.size(); k++) {
                childRows.get(k).addAll(p.children().get(k));
            }
        }
        List<AddFile> oldRuns = kept(runs, runsSchema, replacedGroups, again, runRows);
        List<List<AddFile>> oldChildren = new ArrayList<>();
        for (int k = 0; k < children.size(); k++) {
            Child c = children.get(k);
            oldChildren.add(kept(c.table(), c.schema(), replacedGroups, again, childRows.get(k)));
        }
        for (int k = 0; k < children.size(); k++) {
            append(children.get(k).table(), children.get(k).schema(), group, tags, childRows.get(k), List.of());
        }
        append(runs, runsSchema, group, tags, runRows, oldRuns); // the commit point of every cell in the group
        for (int k = 0; k < children.size(); k++) {
            if (!oldChildren.get(k).isEmpty()) {
                children.get(k).table().commit(children.get(k).schema(), removals(oldChildren.get(k)),
                        "remove replaced rows");
            }
        }
        synchronized (this) {
            for (Row r : runRows) {
                String cell = r.getString(0);
                fileOf.put(cell, group + SUFFIX);
                statuses.remove(cell);
                statuses.put(cell, r.getString(ResultTables.RUNS.fieldIndex("status")));
            }
        }
    }

    /**
     * The files of {@code table} in {@code groups}, whose rows of cells not in {@code again} are added to
     * {@code rows}, so that the new group carries them on.
     */
    private List<AddFile> kept(Table table, StructType schema, Set<String> groups, Set<String> again, List<Row> rows) {
        if (groups.isEmpty()) {
            return List.of();
        }
        List<AddFile> old = table.committed().stream().filter(a -> groupsOf(a).stream().anyMatch(groups::contains))
                .toList();
        List<Row> carried = new ArrayList<>();
        table.forEachRow(old.stream().map(a -> new Path(table.dir(), a.getPath())).toList(), schema, r -> {
            if (!again.contains(r.getString(0))) {
                carried.add(r);
            }
        });
        rows.addAll(0, carried);
        return old;
    }

    private void append(Table table, StructType schema, String group, Set<String> tags, List<Row> rows,
                        List<AddFile> removed) {
        List<Action> actions = new ArrayList<>(removals(removed));
        if (!rows.isEmpty()) {
            Path file = new Path(table.dir(), group + SUFFIX);
            try {
                fs.mkdirs(table.dir());
                long bytes = ParquetFiles.writeFile(rows, schema, fs, file);
                actions.add(table.add(file, bytes, tags, true));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file + ": " + Storage.oneLine(e), e);
            }
        }
        if (!actions.isEmpty()) {
            table.commit(schema, actions, "append");
        }
    }

    static List<Action> removals(List<AddFile> files) {
        long now = System.currentTimeMillis();
        return files.stream().<Action>map(a -> a.remove(now, true)).toList();
    }

    /** {@code have} (null: no table yet) with the columns of {@code want} it lacks appended. */
    static StructType union(StructType have, StructType want, Path dir) {
        if (have == null) {
            return want;
        }
        StructType out = have;
        for (StructField f : want.fields()) {
            if (Arrays.asList(have.fieldNames()).contains(f.name())) {
                DataType existing = have.apply(f.name()).dataType();
                if (!existing.equals(f.dataType())) {
                    throw new IllegalArgumentException("--out " + dir + ": column runs." + f.name() + " holds "
                            + existing.simpleString() + ", but these results give it " + f.dataType().simpleString()
                            + "; write them to another folder");
                }
            } else {
                out = out.add(f.name(), f.dataType(), true);
            }
        }
        return out;
    }

    /** {@code run} with the columns of {@link #runsSchema}, taken by name (a row without a schema is in RUNS order). */
    private Row conform(Row run) {
        StructType from = run.schema() == null ? ResultTables.RUNS : run.schema();
        if (from.equals(runsSchema)) {
            return run;
        }
        Object[] values = new Object[runsSchema.size()];
        List<String> names = Arrays.asList(from.fieldNames());
        for (int i = 0; i < values.length; i++) {
            int k = names.indexOf(runsSchema.fields()[i].name());
            values[i] = k < 0 ? null : run.get(k);
        }
        return new GenericRowWithSchema(values, runsSchema);
    }

    /**
     * The commit groups whose rows a committed file holds: its {@link Table#GROUPS_TAG} (several after compaction),
     * else the group its name gives.
     */
    static Set<String> groupsOf(AddFile a) {
        String tag = a.getTags() == null ? null : a.getTags().get(Table.GROUPS_TAG);
        return tag == null || tag.isEmpty() ? Set.of(group(a.getPath())) : Set.of(tag.split(","));
    }

    /** The group of a data file: its name up to the first '.' ({@code part-UUID}, or a cell id in older folders). */
    static String group(String fileName) {
        String name = fileName.substring(fileName.lastIndexOf('/') + 1);
        int dot = name.indexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    private void loadCommitted(List<AddFile> runFiles) {
        for (AddFile a : runFiles) {
            Path file = new Path(runs.dir(), a.getPath());
            runs.forEachRow(List.of(file), ResultTables.RUNS, r -> {
                fileOf.put(r.getString(0), file.getName());
                statuses.put(r.getString(0), r.getString(1));
            }, "cell", "status");
        }
    }

    /** Ids of the cells committed in the tables of folder {@code dir}, read without opening (or repairing) it. */
    public static List<String> committedCells(Path dir, Configuration conf) {
        return Table.at(new Path(dir, RUNS), conf).read(ResultTables.RUNS, "cell").stream()
                .map(r -> r.getString(0)).sorted().toList();
    }
}
