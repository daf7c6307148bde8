package dev.carousel.store;

import dev.carousel.config.ConfigError;
import dev.carousel.io.Durable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.StreamCapabilities;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.SparkHadoopUtil;

/**
 * Where results live: every location a user gives (an output folder, a results folder to report on) is a Hadoop
 * {@link FileSystem} URI ({@code file:}, {@code hdfs://}, {@code s3a://}, {@code abfs://}, {@code gs://}, …) or a
 * plain local path, and all I/O goes through Hadoop's API with the job's Hadoop configuration, so credentials and
 * endpoints come from the cluster's usual {@code spark.hadoop.*} settings.
 *
 * <p>Object stores have no atomic rename: a small file is replaced there by one PUT (whole or absent), and on
 * file systems with an atomic rename (local, HDFS) by a hidden temporary file renamed over it.
 */
public final class Storage {
    /** Schemes of object stores: no atomic rename, but a written object appears whole or not at all. */
    private static final Set<String> OBJECT_STORES = Set.of("s3", "s3a", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs",
            "oss", "cos", "cosn", "obs");

    private Storage() {}

    /** The Hadoop configuration of a job: Hadoop's defaults with every {@code spark.hadoop.*} setting of {@code conf}. */
    public static Configuration hadoopConf(SparkConf conf) {
        return SparkHadoopUtil.get().newConfiguration(conf);
    }

    /**
     * The Hadoop configuration of a command that starts no Spark session (spark-submit passes its settings as
     * {@code spark.*} system properties, which {@link SparkConf} reads).
     */
    public static Configuration hadoopConf() {
        return hadoopConf(new SparkConf());
    }

    /**
     * The location {@code given} by a user as a qualified Hadoop path: a URI with a scheme as it is, anything else a
     * local path made absolute ({@code file:}).
     *
     * @param what the option or argument it came from, for the error message (e.g. {@code --out})
     * @throws IllegalArgumentException naming {@code what} and the location, for a URI that does not parse or a
     *     scheme no file system is configured for
     */
    public static Path resolve(String given, String what, Configuration conf) {
        if (given == null || given.isBlank()) {
            throw new IllegalArgumentException(what + ": empty location");
        }
        Path path;
        if (hasScheme(given)) {
            try {
                URI uri = new URI(given);
                path = new Path(uri);
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new IllegalArgumentException(what + " " + given + ": not a valid URI (" + e.getMessage() + ")");
            }
        } else {
            path = local(java.nio.file.Path.of(given));
        }
        // An unknown scheme fails here, before any work. Qualified by its file system: hdfs:///x becomes
        // hdfs://NAMENODE/x of the default file system, which FileContext (Storage.writeAtomically) would not supply.
        FileSystem fs = fs(path, what, conf);
        return path.makeQualified(fs.getUri(), fs.getWorkingDirectory());
    }

    /** The local folder {@code dir} as a qualified Hadoop path. */
    public static Path local(java.nio.file.Path dir) {
        // Not from toUri(), which ends an existing directory's URI with '/', and Path then has an empty name.
        return new Path("file", null, dir.toAbsolutePath().normalize().toString());
    }

    /** Whether {@code s} starts with a URI scheme of two or more letters (so that {@code C:\x} stays a path). */
    public static boolean hasScheme(String s) {
        int colon = s.indexOf(':');
        if (colon < 2) {
            return false;
        }
        for (int i = 0; i < colon; i++) {
            char c = s.charAt(i);
            boolean ok = Character.isLetter(c) || (i > 0 && (Character.isDigit(c) || c == '+' || c == '-' || c == '.'));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * The file system of {@code path}.
     *
     * @throws IllegalArgumentException naming {@code what} and the URI if no file system serves its scheme or it
     *     cannot be reached
     */
    public static FileSystem fs(Path path, String what, Configuration conf) {
        try {
            return path.getFileSystem(conf);
        } catch (UnsupportedFileSystemException e) {
            throw new IllegalArgumentException(what + " " + path + ": no file system for scheme '"
                    + path.toUri().getScheme() + "' (accepted: a local path, file:, hdfs://, s3a://, abfs://, gs:// or "
                    + "another scheme the cluster's Hadoop configuration names in fs.SCHEME.impl)");
        } catch (IOException | RuntimeException | LinkageError e) { // LinkageError: a client jar without its SDK
            throw new IllegalArgumentException(what + " " + path + ": cannot open its file system: " + oneLine(e));
        }
    }

    /** {@link #fs(Path, String, Configuration)} for a location already checked. */
    public static FileSystem fs(Path path, Configuration conf) {
        return fs(path, "location", conf);
    }

    /**
     * Checks that {@code path} can be used before any work: its file system answers whether it exists, so an
     * unreachable name node, a missing bucket or missing credentials fail here in one line naming the URI.
     *
     * @return whether {@code path} exists
     * @throws IllegalArgumentException naming {@code what} and the URI
     */
    public static boolean probe(Path path, String what, Configuration conf) {
        fs(path, what, conf);
        // A fresh instance that gives up within seconds: by default Hadoop's IPC client retries a name node that
        // does not answer for about 15 minutes (forever if it accepts and stays silent), and S3A retries a refused
        // endpoint for minutes. The job's own instance keeps the configured patience.
        Configuration quick = new Configuration(conf);
        quick.setInt("ipc.client.connect.max.retries", 0);
        quick.setInt("ipc.client.connect.max.retries.on.timeouts", 0);
        quick.setInt("ipc.client.connect.timeout", 2000);
        quick.setInt("ipc.client.rpc-timeout.ms", 5000);
        quick.setInt("fs.s3a.attempts.maximum", 1);
        quick.setInt("fs.s3a.retry.limit", 1);
        quick.set("fs.s3a.retry.interval", "100ms");
        quick.setInt("fs.s3a.connection.establish.timeout", 2000);
        quick.setInt("fs.s3a.connection.timeout", 10000);
        try (FileSystem fs = FileSystem.newInstance(path.toUri(), quick)) {
            return fs.exists(path);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(what + " " + path + ": cannot reach it: " + oneLine(e));
        }
    }

    /** Whether {@code fs} is an object store (no atomic rename; an object is written whole or not at all). */
    public static boolean isObjectStore(FileSystem fs) {
        String scheme = fs.getUri().getScheme();
        return scheme != null && OBJECT_STORES.contains(scheme.toLowerCase(Locale.ROOT));
    }

    /**
     * The file system to write data files with: the local file system without its {@code .crc} side files (one per
     * file, hidden, that would double a table's file count), any other as it is.
     */
    static FileSystem dataFs(FileSystem fs) {
        return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    }

    /** Reads a whole small file. */
    public static byte[] readAll(Path file, Configuration conf) {
        FileSystem fs = fs(file, conf);
        try (InputStream in = fs.open(file)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + oneLine(e), e);
        }
    }

    /**
     * The UTF-8 text of a config or spec file the user named by URI, or a {@link ConfigError} naming it: {@code file:
     * <what> not found; expected <expected>} when it is missing or a directory, {@code file: <what> is not readable:
     * ...} when reading fails.
     */
    public static String readText(Path file, String what, String expected, Configuration conf) {
        if (!probe(file, what, conf) || isDirectory(file, conf)) {
            throw new ConfigError(file + ": " + what + " not found; expected " + expected);
        }
        try {
            return new String(readAll(file, conf), StandardCharsets.UTF_8);
        } catch (UncheckedIOException e) {
            throw new ConfigError(file + ": " + what + " is not readable: " + e.getMessage());
        }
    }

    /**
     * Replaces the small file {@code file} so that readers see the old or the new content only: one PUT on an object
     * store; elsewhere a hidden temporary file beside it, flushed to the storage devices ({@code hsync}), then renamed
     * over it.
     */
    public static void writeAtomically(Path file, byte[] content, Configuration conf) {
        FileSystem fs = dataFs(fs(file, conf));
        try {
            fs.mkdirs(file.getParent());
            if (isObjectStore(fs)) {
                write(fs, file, content, true);
                return;
            }
            Path tmp = new Path(file.getParent(), "." + file.getName() + "-" + UUID.randomUUID() + ".tmp");
            try {
                write(fs, tmp, content, false);
                // FileContext's rename replaces an existing file in one step on HDFS and local disk (FileSystem's
                // does not replace at all).
                FileContext.getFileContext(file.toUri(), conf).rename(tmp, file, Options.Rename.OVERWRITE);
                if (Folders.isLocal(file)) {
                    Durable.forceDirectory(Folders.local(file.getParent())); // the new name, not only the bytes
                }
            } finally {
                fs.delete(tmp, false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replace " + file + ": " + oneLine(e), e);
        }
    }

    /** Writes {@code file} and flushes it to the storage devices where the file system can ({@code hsync}). */
    static void write(FileSystem fs, Path file, byte[] content, boolean overwrite) throws IOException {
        try (FSDataOutputStream out = fs.create(file, overwrite)) {
            out.write(content);
            sync(out);
        }
    }

    /** Flushes {@code out} to the storage devices if its file system can (local disk and HDFS can; S3 cannot). */
    static void sync(FSDataOutputStream out) throws IOException {
        if (out.hasCapability(StreamCapabilities.HSYNC)) {
            out.hsync();
        }
    }

    /** Whether {@code path} is a directory; false if it does not exist. */
    public static boolean isDirectory(Path path, Configuration conf) {
        try {
            return fs(path, conf).getFileStatus(path).isDirectory();
        } catch (FileNotFoundException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + oneLine(e), e);
        }
    }

    /** Whether {@code path} exists. */
    public static boolean exists(Path path, Configuration conf) {
        try {
            return fs(path, conf).exists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + oneLine(e), e);
        }
    }

    /** The entries of folder {@code dir} (empty if it does not exist), sorted by name. */
    public static List<FileStatus> list(Path dir, Configuration conf) {
        try {
            return Stream.of(fs(dir, conf).listStatus(dir)).sorted((a, b) -> a.getPath().getName()
                    .compareTo(b.getPath().getName())).toList();
        } catch (FileNotFoundException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + oneLine(e), e);
        }
    }

    /** Deletes {@code path} and everything under it, if it exists. */
    public static void delete(Path path, Configuration conf) {
        try {
            fs(path, conf).delete(path, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path + ": " + oneLine(e), e);
        }
    }

    /** An exception's message on one line, with its innermost cause. */
    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (root != e) {
            m += " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        return m.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
