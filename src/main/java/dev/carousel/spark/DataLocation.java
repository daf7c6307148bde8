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

    /**
     * What Spark's readers are given: the full URI, so that a local path is read from the local file system even
     * where the cluster's default file system is another (HDFS on YARN).
     */
    String forSpark() {
        return uri.toString();
    }

    @Override
    public String toString() {
        return isLocal() ? uri.toUri().getPath() : uri.toString();
    }
}
