package dev.carousel.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * A child JVM's main for {@link CrashConsistencyTest}: opens the result store in folder {@code args[0]} (which repairs
 * what an earlier killed writer left) and commits synthetic cells named {@code args[1]-N} one group after another,
 * as fast as it can, until it is killed. Each cell has {@value #CURVES} curve rows, {@value #STATS} step-statistic
 * rows and {@value #SUMMARIES} summary rows, so a reader can tell a whole cell from a partial one. Prints
 * "committed N" after each group, so the parent kills it during commits rather than during start-up.
 */
final class CommitLoop {
    static final int CURVES = 7;
    static final int STATS = 40;
    static final int SUMMARIES = 3;

    private CommitLoop() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        try (ResultStore store = ResultStore.open(Storage.local(dir), new Configuration(), 3600)) {
            for (int n = 0; ; n++) {
                for (int k = 0; k < 3; k++) { // three cells per group
                    String cell = args[1] + "-" + n + "-" + k;
                    store.add(cell, ResultStoreTest.run(cell, "completed"), rows(CURVES, u -> ResultStoreTest.curve(cell, u)),
                            rows(STATS, t -> ResultStoreTest.stat(cell, t)), rows(SUMMARIES, r -> summary(cell, r)));
                }
                store.flush();
                System.out.println("committed " + n);
                System.out.flush();
            }
        }
    }

    static Row summary(String cell, int round) {
        return RowFactory.create(cell, (long) round, -0.1, -0.05, 4, 9, 0.7);
    }

    private static List<Row> rows(int count, java.util.function.IntFunction<Row> row) {
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(row.apply(i));
        }
        return out;
    }
}
