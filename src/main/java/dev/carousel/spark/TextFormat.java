package dev.carousel.spark;

import static dev.carousel.spark.FileFormats.bad;
import static dev.carousel.spark.FileFormats.display;

import dev.carousel.spark.Candidate.OrderKey;
import dev.carousel.spark.FileFormats.Layout;
import dev.carousel.spark.FileFormats.Read;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The text layout: windows of T+1 characters at stride T over each file, never across files; the vocabulary is
 * the sorted set of characters (Unicode code points) of all files. Package-private plumbing of
 * {@link FileDataset}.
 */
final class TextFormat {
    private TextFormat() {}

    static Read read(SparkSession spark, DataLocation path, int length) {
        return FileFormats.fromWholeFiles(spark, path, (files, transients) -> read(path, length, files, transients));
    }

    private static Read read(DataLocation path, int length, JavaRDD<Row> files, List<JavaRDD<?>> transients) {
        List<Object[]> sizes = new ArrayList<>(files.map(r -> new Object[] {display(r.getString(0)),
                (long) r.getString(1).codePointCount(0, r.getString(1).length())}).collect());
        sizes.sort(Comparator.comparing((Object[] s) -> (String) s[0]));
        if (sizes.isEmpty()) {
            throw bad(path + ": no text files found");
        }
        for (Object[] s : sizes) {
            if ((long) s[1] < length + 1L) {
                throw bad(s[0] + ": has " + s[1] + " characters; expected at least T+1 = " + (length + 1)
                        + " for one window of sequence length " + length);
            }
        }
        int[] vocabulary = files.flatMap(r -> r.getString(1).codePoints().distinct().boxed().iterator()).distinct()
                .collect().stream().mapToInt(Integer::intValue).sorted().toArray();
        JavaRDD<Candidate> candidates = files.flatMap(r -> windows(r.getString(0), r.getString(1), length, vocabulary)
                .iterator());
        return new Read(candidates, Layout.TEXT, "window", new String(vocabulary, 0, vocabulary.length), transients);
    }

    static List<Candidate> windows(String uri, String content, int length, int[] vocabulary) {
        String file = display(uri);
        int[] cps = content.codePoints().toArray();
        int count = (cps.length - 1) / length;
        List<Candidate> out = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            double[] x = new double[length + 1];
            for (int j = 0; j <= length; j++) {
                x[j] = Arrays.binarySearch(vocabulary, cps[k * length + j]);
            }
            out.add(new Candidate(file, k, file + " window " + k + " (characters " + (long) k * length + ".."
                    + ((long) k * length + length) + ")", new OrderKey(uri, k), length, vocabulary.length, -1, -1,
                    x, null, null, null));
        }
        return out;
    }
}
