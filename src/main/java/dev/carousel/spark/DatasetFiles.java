package dev.carousel.spark;

import static dev.carousel.spark.FileFormats.bad;

import dev.carousel.spark.FileDataset.Format;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The data files of a {@link FileDataset} path, listed and checked on the driver through the path's Hadoop file
 * system before Spark reads them: the path exists, a directory holds data files (names starting with '.' or '_'
 * are skipped, as Spark does), and none is unreadable or empty.
 */
final class DatasetFiles {
    private DatasetFiles() {}

    /**
     * Driver-side checks of the path, through its Hadoop file system: it exists, holds data files, none of them
     * empty; returns them, sorted.
     */
    static List<DataLocation> checkFiles(Configuration conf, Format fmt, DataLocation path, int sequenceLength) {
        FileSystem fs;
        FileStatus root;
        try {
            fs = path.uri().getFileSystem(conf);
            root = fs.getFileStatus(path.uri());
        } catch (java.io.FileNotFoundException e) {
            throw bad(path + ": no such file or directory");
        } catch (IOException | RuntimeException e) {
            throw bad(path + ": cannot be read: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        List<FileStatus> found = new ArrayList<>();
        if (root.isDirectory()) {
            try {
                RemoteIterator<LocatedFileStatus> it = fs.listFiles(root.getPath(), true);
                while (it.hasNext()) {
                    LocatedFileStatus f = it.next();
                    if (f.isFile() && visible(root.getPath(), f.getPath())) {
                        found.add(f);
                    }
                }
            } catch (IOException e) {
                throw bad(path + ": cannot list: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            found.sort(Comparator.comparing(f -> f.getPath().toString()));
            if (found.isEmpty()) {
                throw bad(path + ": directory has no data files (names starting with '.' or '_' are skipped)");
            }
        } else {
            found.add(root);
        }
        List<DataLocation> files = new ArrayList<>();
        for (FileStatus f : found) {
            DataLocation file = new DataLocation(f.getPath());
            if (path.isLocal() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(f.getPath().toUri().getPath()))) {
                throw bad(file + ": cannot be read (permission denied); expected a file this user can read");
            }
            if (f.getLen() == 0) {
                throw bad(file + ": empty file (0 bytes); expected " + switch (fmt) {
                    case PARQUET -> "a Parquet file with one row per sequence";
                    case CSV -> "a header line with seq_id, t, x1..xI[, y] and one line per step";
                    case TEXT -> "at least T+1 = " + (sequenceLength + 1L) + " characters";
                });
            }
            files.add(file);
        }
        return files;
    }

    /** Spark skips files and directories whose names start with '.' or '_'. */
    private static boolean visible(org.apache.hadoop.fs.Path root, org.apache.hadoop.fs.Path p) {
        String rootPath = root.toUri().getPath();
        String rel = p.toUri().getPath().substring(Math.min(rootPath.length(), p.toUri().getPath().length()));
        for (String part : rel.split("/")) {
            if (part.startsWith(".") || part.startsWith("_")) {
                return false;
            }
        }
        return true;
    }
}
