package dev.carousel.store;

import dev.carousel.io.Durable;
import io.delta.standalone.DeltaLog;
import io.delta.standalone.Operation;
import io.delta.standalone.OptimisticTransaction;
import io.delta.standalone.actions.Action;
import io.delta.standalone.actions.AddFile;
import io.delta.standalone.actions.Metadata;
import io.delta.standalone.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * One result table in folder {@code dir} of any Hadoop file system, in one of two layouts:
 * <ul>
 *   <li>a <b>Delta table</b> (a sweep's tables): Parquet data files and Delta Lake's transaction log
 *       {@code dir/_delta_log/}, written by Delta Standalone without Spark. A file belongs to the table exactly when
 *       a committed log entry adds it (and none removes it), so a killed writer's files are never read, on file
 *       systems without an atomic rename too; Spark ({@code format("delta")}), DuckDB ({@code delta_scan}), Trino and
 *       pandas (delta-rs) read it as one table;</li>
 *   <li>a <b>plain folder</b> of Parquet files (a single run's tables, and sweeps written before the log): every
 *       {@code *.parquet} file not starting with '.' or '_'.</li>
 * </ul>
 */
public final class Table {
    /** Delta Lake's log folder inside a table. */
    public static final String LOG = "_delta_log";

    private final Path dir;
    private final Configuration conf;
    /** The table's Delta log, opened on first use. */
    private DeltaLog log;

    private Table(Path dir, Configuration conf) {
        this.dir = dir;
        this.conf = conf;
    }

    public static Table at(Path dir, Configuration conf) {
        return new Table(dir, conf);
    }

    /** The table in local folder {@code dir}. */
    public static Table at(java.nio.file.Path dir) {
        return new Table(Storage.local(dir), new Configuration());
    }

    public Path dir() {
        return dir;
    }

    /** Whether the table has a Delta log (with at least one commit). */
    public boolean isDelta() {
        return Storage.exists(new Path(dir, LOG), conf) && log().tableExists();
    }

    /**
     * The data files a reader takes, in name order: the committed files of the Delta log's latest version, or the
     * Parquet files of a plain folder; empty if there is no table. In a folder without a committed log, files named
     * {@code part-*} count only beside a {@code _SUCCESS} marker (a run's folder): without it they are a sweep
     * writer's files that no commit has taken yet.
     */
    public List<Path> files() {
        if (isDelta()) {
            return committed().stream().map(a -> new Path(dir, a.getPath())).sorted().toList();
        }
        List<FileStatus> all = Storage.list(dir, conf);
        boolean marked = all.stream().anyMatch(f -> f.getPath().getName().equals("_SUCCESS"));
        List<Path> out = new ArrayList<>();
        for (FileStatus f : all) {
            String name = f.getPath().getName();
            if (f.isFile() && name.endsWith(".parquet") && !name.startsWith(".") && !name.startsWith("_")
                    && (marked || !name.startsWith("part-"))) {
                out.add(f.getPath());
            }
        }
        return out;
    }

    /** Every row of the table's {@link #files()}; see {@link ParquetFiles#forEachRow} for columns and nulls. */
    public List<Row> read(StructType schema, String... columns) {
        List<Row> rows = new ArrayList<>();
        forEachRow(files(), schema, rows::add, columns);
        return rows;
    }

    /** The rows of {@code files} (a {@link #files()} snapshot, so that two passes read the same files). */
    public void forEachRow(List<Path> files, StructType schema, Consumer<Row> sink, String... columns) {
        ParquetFiles.forEachRow(files, conf, schema, sink, columns);
    }

    // ---------------------------------------------------------------- writing (one writer at a time)

    /** The schema the log records (Spark's types), or null if there is no log yet. */
    public StructType schema() {
        DeltaLog log = log();
        if (!log.tableExists()) {
            return null;
        }
        return (StructType) org.apache.spark.sql.types.DataType.fromJson(log.update().getMetadata().getSchema().toJson());
    }

    /** The add actions of the log's latest version (empty if there is no log yet). */
    List<AddFile> committed() {
        DeltaLog log = log();
        return log.tableExists() ? log.update().getAllFiles() : List.of();
    }

    /**
     * Commits {@code actions} as one new version of the log; the first commit also records {@code schema}, and a
     * later one that brings new columns (appended to the end) records the wider schema, so older files read them as
     * null. Delta's log store makes the commit atomic on each file system: a new log entry is put whole if absent
     * (object stores, single writer) or renamed into place without overwriting (HDFS, local disk). On local disk
     * the table folder's entries are flushed before the commit and the new log entry and its folder after it
     * ({@link Durable}), so a power loss keeps or loses the commit whole; the data files are flushed as written.
     *
     * @throws IllegalArgumentException if {@code schema} drops or changes a column the table already has
     */
    void commit(StructType schema, List<? extends Action> actions, String operation) {
        DeltaLog log = log();
        OptimisticTransaction txn = log.startTransaction();
        io.delta.standalone.types.StructType wanted = (io.delta.standalone.types.StructType) DataType.fromJson(schema.json());
        if (!log.tableExists()) {
            txn.updateMetadata(Metadata.builder().name(dir.getName()).schema(wanted)
                    .createdTime(System.currentTimeMillis()).build());
        } else {
            io.delta.standalone.types.StructType have = txn.metadata().getSchema();
            if (!have.equals(wanted)) {
                List<String> haveNames = Arrays.asList(have.getFieldNames());
                List<String> wantNames = Arrays.asList(wanted.getFieldNames());
                if (wantNames.size() < haveNames.size() || !wantNames.subList(0, haveNames.size()).equals(haveNames)) {
                    throw new IllegalArgumentException("table " + dir + " has the columns " + haveNames
                            + "; a writer may only add columns at the end, not write " + wantNames);
                }
                txn.updateMetadata(txn.metadata().copyBuilder().schema(wanted).build());
            }
        }
        boolean local = Folders.isLocal(dir);
        if (local) { // the data files are flushed as written; their names in the table's folder before the log names them
            Durable.forceDirectory(Folders.local(dir));
        }
        long version = txn.commit(actions, new Operation(Operation.Name.WRITE, Map.of("mode", "\"Append\"", "carousel",
                "\"" + operation + "\"")), "Carousel").getVersion();
        if (local) { // Delta's local log store renames a log entry into place without flushing it
            java.nio.file.Path logDir = Folders.local(new Path(dir, LOG));
            Durable.force(logDir.resolve(String.format(java.util.Locale.ROOT, "%020d.json", version)));
            Durable.forceDirectory(logDir);
            Durable.forceDirectory(Folders.local(dir)); // the log folder's own name, on the first commit
        }
    }

    /**
     * Makes the plain Parquet table in local folder {@code dir} (as {@link ParquetFiles#write} leaves it) a Delta
     * table: its files become the log's first version, with {@code schema}, so that Delta readers (Spark's, DuckDB's,
     * delta-rs) read it as they read a sweep's tables, and plain Parquet readers still see the same files.
     *
     * @throws IllegalStateException if the folder already has a log
     */
    public static void commitAsDelta(java.nio.file.Path dir, StructType schema) {
        Table table = at(dir);
        if (table.isDelta()) {
            throw new IllegalStateException(dir + " already has a Delta log");
        }
        table.commitFiles(schema, table.files(), "write a run's table");
    }

    /**
     * Commits Parquet files already in the table's folder as one new version, each tagged with the commit group its
     * name gives; nothing if {@code files} is empty.
     */
    void commitFiles(StructType schema, List<Path> files, String operation) {
        if (files.isEmpty()) {
            return;
        }
        List<Action> adds = new ArrayList<>();
        for (Path f : files) {
            try {
                adds.add(add(f, Storage.fs(f, conf).getFileStatus(f).getLen(), java.util.Set.of(ResultStore.group(f.getName())),
                        true));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + f + ": " + Storage.oneLine(e), e);
            }
        }
        commit(schema, adds, operation);
    }

    /** The tag of an add action that names the commit groups whose rows the file holds, comma-separated. */
    static final String GROUPS_TAG = "carousel.groups";

    /**
     * An add action for data file {@code file} of this table, of {@code bytes} bytes, holding the rows of the commit
     * {@code groups}; {@code dataChange} false for a rewrite that changes no row (compaction). It carries no
     * statistics: Delta Standalone 3.2 writes a file's statistics string as a raw JSON object and then cannot read
     * its own log.
     */
    AddFile add(Path file, long bytes, java.util.Collection<String> groups, boolean dataChange) {
        return new AddFile(file.getName(), Map.of(), bytes, System.currentTimeMillis(), dataChange, null,
                Map.of(GROUPS_TAG, String.join(",", new java.util.TreeSet<>(groups))));
    }

    private synchronized DeltaLog log() {
        if (log == null) {
            log = DeltaLog.forTable(conf, dir);
        }
        return log;
    }
}
