package dev.carousel.spark;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiFunction;
import org.apache.parquet.io.ParquetDecodingException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.SchemaColumnConvertNotSupportedException;
import org.apache.spark.storage.StorageLevel;

/**
 * What the three file layouts' readers ({@link ParquetFormat}, {@link CsvFormat}, {@link TextFormat}) share:
 * the {@link Read} each turns its files into, one-line messages, and whole-file reading. Everything a reader can
 * judge row by row (or line by line) becomes the candidate's {@code problem}; line-level CSV problems and
 * file-level problems are thrown, as one-line {@link IllegalArgumentException}s. Package-private plumbing of
 * {@link FileDataset}.
 */
final class FileFormats {
    private FileFormats() {}

    enum Layout {
        /** Parquet {@code features} + {@code target}: MSE at the last step, O = target length. */
        PARQUET_TARGET,
        /** Parquet {@code features} + {@code label}: cross-entropy at the last step, one-hot over O classes. */
        PARQUET_LABEL,
        /** CSV with a {@code y} column: MSE at the last step, O = 1. */
        CSV_TARGET,
        /** CSV without {@code y}: predict x_{t+1} from x_0..x_t, MSE at every step, T = stored steps − 1, O = I. */
        CSV_NEXT_STEP,
        /** Text windows: one-hot characters, cross-entropy at every step. */
        TEXT
    }

    /**
     * What a reader found.
     *
     * @param candidates   the sequences, lazily computed
     * @param layout       how to expand them
     * @param stepsSubject what a message about a sequence's length calls it ("features", "sequence")
     * @param vocabulary   text only: the characters in one-hot order; else ""
     * @param transients   RDDs the reader persisted, to unpersist once the dataset is built
     */
    record Read(JavaRDD<Candidate> candidates, Layout layout, String stepsSubject, String vocabulary,
                List<JavaRDD<?>> transients) {}

    static IllegalArgumentException bad(String message) {
        return new IllegalArgumentException(oneLine(message));
    }

    /** One line, whatever the source (user data, Spark's messages). */
    static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** A user-supplied value for a message: control characters escaped, at most 40 characters. */
    static String quote(String v) {
        StringBuilder b = new StringBuilder("'");
        v.codePoints().limit(40).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format(Locale.ROOT, "\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        if (v.codePointCount(0, v.length()) > 40) {
            b.append("...");
        }
        return b.append('\'').toString();
    }

    /** A Spark file URI ({@code _metadata.file_path}) as a local path when it is one. */
    static String display(String uri) {
        try {
            URI u = new URI(uri);
            if ("file".equals(u.getScheme())) {
                return java.nio.file.Path.of(u).toString();
            }
        } catch (Exception e) {
            // not a URI we can map: show it as Spark gave it
        }
        return uri;
    }

    static String sparkPath(DataLocation path) {
        return path.forSpark();
    }

    /** The innermost cause's message, in one line. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return oneLine(m);
    }

    /**
     * Why a Spark job failed reading the data, in one line, if it failed for the data's sake: a Parquet column
     * whose type differs from the schema Spark took from another file, an undecodable Parquet page, an I/O error
     * (a file deleted or made unreadable meanwhile). Null if nothing in the cause chain is a read failure.
     */
    static String readFailure(Throwable e) {
        Throwable above = null;
        Set<Throwable> seen = new HashSet<>();
        for (Throwable t = e; t != null && seen.add(t); above = t, t = t.getCause()) {
            if (t instanceof SchemaColumnConvertNotSupportedException convert) {
                // Spark's wrapper names the file; the cause only the column and the types.
                String inFile = above == null || above.getMessage() == null ? "" : oneLine(above.getMessage());
                int at = inFile.indexOf("Parquet column cannot be converted");
                return at >= 0 ? inFile.substring(at).replaceAll("\\.$", "")
                        : "column " + convert.getColumn() + " is " + convert.getPhysicalType() + " in one file, "
                                + convert.getLogicalType() + " in another";
            }
            if (t instanceof ParquetDecodingException || t instanceof IOException) {
                return oneLine(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------
    // Whole files, for CSV (line numbers) and text (windows across lines).

    /**
     * Reads {@code path} as whole files, persisted, and hands them and the list of RDDs to release afterwards to
     * {@code reader}; if it throws, they are released here.
     */
    static Read fromWholeFiles(SparkSession spark, DataLocation path,
                               BiFunction<JavaRDD<Row>, List<JavaRDD<?>>, Read> reader) {
        JavaRDD<Row> files = wholeFiles(spark, path).persist(StorageLevel.MEMORY_AND_DISK_SER());
        List<JavaRDD<?>> transients = new ArrayList<>(List.of(files));
        try {
            return reader.apply(files, transients);
        } catch (RuntimeException e) {
            transients.forEach(r -> r.unpersist(true)); // blocking: see FileDataset.open
            throw e;
        }
    }

    /** One row per file: (Spark's file URI, contents). */
    private static JavaRDD<Row> wholeFiles(SparkSession spark, DataLocation path) {
        try {
            return spark.read().option("wholetext", "true").text(sparkPath(path))
                    .select(col("_metadata.file_path"), col("value")).javaRDD();
        } catch (Exception e) {
            throw bad(path + ": cannot be read: " + rootMessage(e));
        }
    }
}
