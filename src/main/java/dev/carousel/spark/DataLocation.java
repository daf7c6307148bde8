package dev.carousel.spark;

import java.io.Serializable;
import org.apache.hadoop.fs.Path;

/**
 * Where a dataset or one of its files is: a qualified Hadoop path ({@code file:}, {@code hdfs://}, {@code s3a://},
 * …), shown in messages as a plain path when it is local and as its URI otherwise.
 *
 * @param uri the qualified path
 */
public record DataLocation(Path uri) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The local file or folder {@code p}. */
    public static DataLocation local(java.nio.file.Path p) {
        return new DataLocation(new Path("file", null, p.toAbsolutePath().normalize().toString()));
    }

    public boolean isLocal() {
        return "file".equals(uri.toUri().getScheme());
    }

    /** What Spark's readers are given: the plain path of a local location, the URI of any other. */
    String forSpark() {
        return toString();
    }

    @Override
    public String toString() {
        return isLocal() ? uri.toUri().getPath() : uri.toString();
    }
}
