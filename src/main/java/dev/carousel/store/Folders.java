package dev.carousel.store;

import dev.carousel.io.AtomicDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Folders written whole or not at all on any Hadoop file system: a run's results, a checkpoint, a probe bundle, a
 * report. Each is first written into a local folder by the code that knows its format.
 * <ul>
 *   <li>On local disk it then replaces the target in one rename ({@link AtomicDirectory}): a reader sees the old
 *       folder or the new one.</li>
 *   <li>Elsewhere (HDFS, object stores, where renaming a folder is not atomic, or not cheap) its files are copied to
 *       the target, each flushed, and the marker {@value #MARKER} is written last. A folder counts as committed
 *       exactly when its marker exists; a replaced or discarded folder loses its marker first. A writer killed
 *       half-way leaves a folder without a marker, which readers ignore and the next writer replaces.</li>
 * </ul>
 */
public final class Folders {
    /** The commit marker of a folder on a non-local file system (the name Hadoop's own committers use). */
    public static final String MARKER = "_SUCCESS";

    private Folders() {}

    /** Fills a local folder. */
    public interface Writer {
        void write(java.nio.file.Path folder) throws IOException;
    }

    /** Reads a local folder. */
    public interface Reader<T> {
        T read(java.nio.file.Path folder) throws IOException;
    }

    /** Whether {@code p} is on the local file system. */
    public static boolean isLocal(Path p) {
        return "file".equals(p.toUri().getScheme());
    }

    /** The local path of a {@code file:} location. */
    public static java.nio.file.Path local(Path p) {
        return java.nio.file.Path.of(p.toUri().getPath());
    }

    /** Writes folder {@code target} with {@code writer}, replacing an earlier one; see the class comment. */
    public static void write(Path target, Configuration conf, Writer writer) {
        try {
            if (isLocal(target)) {
                java.nio.file.Path local = local(target);
                AtomicDirectory.cleanStale(local.toAbsolutePath().getParent()); // what a crash while replacing left
                try (AtomicDirectory out = AtomicDirectory.begin(local)) {
                    writer.write(out.staging());
                    out.commit();
                }
                return;
            }
            java.nio.file.Path staging = Files.createTempDirectory("carousel-folder-");
            try {
                writer.write(staging);
                FileSystem fs = Storage.dataFs(Storage.fs(target, conf));
                discard(target, conf);
                upload(fs, staging, target);
                try (FSDataOutputStream marker = fs.create(new Path(target, MARKER), true)) {
                    Storage.sync(marker);
                }
            } finally {
                AtomicDirectory.deleteRecursively(staging);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + Storage.oneLine(e), e);
        }
    }

    /**
     * Whether folder {@code target} is committed: by its own marker, or as part of its parent folder (a run's
     * {@code checkpoint/} is committed with the run).
     */
    public static boolean committed(Path target, Configuration conf) {
        if (isLocal(target)) {
            return Files.isDirectory(local(target));
        }
        return Storage.exists(new Path(target, MARKER), conf)
                || (target.getParent() != null && Storage.exists(new Path(target.getParent(), MARKER), conf)
                && Storage.isDirectory(target, conf));
    }

    /**
     * Reads committed folder {@code target} with {@code reader}: in place on local disk, elsewhere from a local copy
     * that is deleted afterwards.
     */
    public static <T> T read(Path target, Configuration conf, Reader<T> reader) {
        try {
            if (isLocal(target)) {
                return reader.read(local(target));
            }
            if (!committed(target, conf)) {
                throw new IllegalArgumentException(target + ": no such folder (or not committed: no " + MARKER + ")");
            }
            java.nio.file.Path copy = Files.createTempDirectory("carousel-read-");
            try {
                download(Storage.fs(target, conf), target, copy);
                return reader.read(copy);
            } finally {
                AtomicDirectory.deleteRecursively(copy);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + target + ": " + Storage.oneLine(e), e);
        }
    }

    /** The committed subfolders of {@code dir}, in name order (empty if there is no {@code dir}). */
    public static List<Path> list(Path dir, Configuration conf) {
        List<Path> out = new ArrayList<>();
        for (FileStatus f : Storage.list(dir, conf)) {
            String name = f.getPath().getName();
            if (f.isDirectory() && !name.startsWith(".") && committed(f.getPath(), conf)) {
                out.add(f.getPath());
            }
        }
        return out;
    }

    /** Removes folder {@code target}: on local disk renamed away first, elsewhere its marker first. */
    public static void discard(Path target, Configuration conf) {
        if (isLocal(target)) {
            AtomicDirectory.discard(local(target));
            return;
        }
        Storage.delete(new Path(target, MARKER), conf);
        Storage.delete(target, conf);
    }

    private static void upload(FileSystem fs, java.nio.file.Path from, Path to) throws IOException {
        fs.mkdirs(to);
        try (Stream<java.nio.file.Path> entries = Files.list(from)) {
            for (java.nio.file.Path e : entries.sorted().toList()) {
                Path target = new Path(to, e.getFileName().toString());
                if (Files.isDirectory(e)) {
                    upload(fs, e, target);
                } else {
                    try (FSDataOutputStream out = fs.create(target, true)) {
                        Files.copy(e, out);
                        Storage.sync(out);
                    }
                }
            }
        }
    }

    private static void download(FileSystem fs, Path from, java.nio.file.Path to) throws IOException {
        Files.createDirectories(to);
        for (FileStatus f : fs.listStatus(from)) {
            java.nio.file.Path target = to.resolve(f.getPath().getName());
            if (f.isDirectory()) {
                download(fs, f.getPath(), target);
            } else {
                try (InputStream in = fs.open(f.getPath())) {
                    Files.copy(in, target);
                }
            }
        }
    }
}
