package dev.carousel.store;

import io.delta.standalone.actions.AddFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What {@link ResultStore#open} does before it takes new cells: takes over a folder written before the log, and
 * repairs what a killed writer left (the commit protocol is in {@link ResultStore}'s class comment).
 */
final class StoreRecovery {
    private static final String ADOPT = "adopt files written before the log";
    private final Table runs;
    private final List<ResultStore.Child> children;
    private final FileSystem fs;
    private final Configuration conf;

    StoreRecovery(Table runs, List<ResultStore.Child> children, FileSystem fs, Configuration conf) {
        this.runs = runs;
        this.children = children;
        this.fs = fs;
        this.conf = conf;
    }

    /**
     * Commits the Parquet files of a table folder written before the log as its first version: every {@code runs}
     * file, and the {@code curves} and {@code step_stats} files of cells {@code runs} holds (a cell is committed
     * there exactly when its {@code runs} file exists).
     */
    void adoptPlainFolders() {
        if (runs.isDelta()) { // runs is adopted last: once it has a commit, the folder is taken over
            return;
        }
        List<Path> runFiles = runs.files();
        Set<String> committedGroups = new HashSet<>();
        runFiles.forEach(f -> committedGroups.add(ResultStore.group(f.getName())));
        for (ResultStore.Child c : children) {
            Table t = c.table();
            if (!t.isDelta()) { // a run killed while adopting committed some tables already
                t.commitFiles(c.schema(), t.files().stream()
                        .filter(f -> committedGroups.contains(ResultStore.group(f.getName()))).toList(), ADOPT);
            }
        }
        runs.commitFiles(ResultTables.RUNS, runFiles, ADOPT);
    }

    /**
     * Removes from the log the child-table files of groups without a {@code runs} file, and
     * deletes the data files the latest log version does not name: a killed writer's, and those a compaction or a
     * replacement removed (kept until now for readers of the older version). Nothing is deleted while {@code runs}
     * holds files that no log has taken over.
     */
    void repair(List<AddFile> runFiles) {
        Set<String> committedGroups = new HashSet<>();
        runFiles.forEach(a -> committedGroups.addAll(ResultStore.groupsOf(a)));
        Map<Table, List<AddFile>> kept = new HashMap<>();
        kept.put(runs, runFiles);
        for (ResultStore.Child c : children) {
            Table t = c.table();
            List<AddFile> files = t.committed();
            List<AddFile> orphans = files.stream()
                    .filter(a -> ResultStore.groupsOf(a).stream().noneMatch(committedGroups::contains)).toList();
            if (!orphans.isEmpty()) {
                t.commit(c.schema(), ResultStore.removals(orphans),
                        "remove rows of uncommitted cells");
                files = files.stream()
                        .filter(a -> ResultStore.groupsOf(a).stream().anyMatch(committedGroups::contains)).toList();
            }
            kept.put(t, files);
        }
        if (!runs.isDelta() && !runs.files().isEmpty()) {
            return; // runs holds files no log has taken over: delete nothing
        }
        for (Table t : kept.keySet()) {
            Set<String> named = new HashSet<>();
            kept.get(t).forEach(a -> named.add(new Path(t.dir(), a.getPath()).getName()));
            for (FileStatus f : Storage.list(t.dir(), conf)) {
                String name = f.getPath().getName();
                boolean hidden = name.startsWith(".") || name.startsWith("_");
                if (f.isFile() && !hidden && name.endsWith(".parquet") && !named.contains(name)) {
                    try {
                        fs.delete(f.getPath(), false);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot delete " + f.getPath() + ": " + Storage.oneLine(e), e);
                    }
                }
            }
        }
    }
}
