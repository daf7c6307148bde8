package dev.carousel.bench;

import dev.carousel.store.ResultStore;
import dev.carousel.store.Storage;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * How long a resumed sweep takes to find its committed cells in a large table.
 * <pre>
 *   synth DIR CELLS PER_GROUP   writes CELLS cells into DIR's tables, PER_GROUP cells a commit (one runs row and
 *                               two curve rows each)
 *   open DIR                    opens the store as a resumed sweep does and prints how long finding them took
 *   commits DIR GROUPS PER_GROUP   commits GROUPS groups of PER_GROUP cells one at a time and prints the median and
 *                               90th percentile of a commit's wall time (bench/commit.sh)
 * </pre>
 * Run {@code open} in a fresh JVM for the figure a resumed sweep sees (bench/store.sh resume).
 */
public final class StoreResumeBench {
    private StoreResumeBench() {}

    public static void main(String[] args) {
        Configuration conf = new Configuration();
        org.apache.hadoop.fs.Path dir = Storage.local(Path.of(args[1]));
        if (args[0].equals("synth")) {
            int cells = Integer.parseInt(args[2]);
            int perGroup = Integer.parseInt(args[3]);
            long start = System.nanoTime();
            try (ResultStore store = ResultStore.open(dir, conf, 1e9)) {
                for (int i = 0; i < cells; i++) {
                    String cell = String.format(Locale.ROOT, "%016x", 0x5eedL * 1_000_003L + i);
                    store.add(cell, run(cell, i), List.of(curve(cell, 0), curve(cell, 20)), List.of(), List.of());
                    if ((i + 1) % perGroup == 0) {
                        store.flush();
                    }
                }
            }
            System.out.printf(Locale.ROOT, "synth: %d cells in groups of %d, %.1f s%n", cells, perGroup,
                    (System.nanoTime() - start) / 1e9);
        } else if (args[0].equals("commits")) {
            int groups = Integer.parseInt(args[2]);
            int perGroup = Integer.parseInt(args[3]);
            long[] nanos = new long[groups];
            try (ResultStore store = ResultStore.open(dir, conf, 1e9)) {
                for (int g = 0; g < groups; g++) {
                    for (int k = 0; k < perGroup; k++) {
                        int i = g * perGroup + k;
                        String cell = String.format(Locale.ROOT, "%016x", 0xc033L * 1_000_003L + i);
                        store.add(cell, run(cell, i), List.of(curve(cell, 0), curve(cell, 20)), List.of(), List.of());
                    }
                    long start = System.nanoTime();
                    store.flush();
                    nanos[g] = System.nanoTime() - start;
                }
            }
            long[] sorted = nanos.clone();
            java.util.Arrays.sort(sorted);
            System.out.printf(Locale.ROOT, "commits: %d groups of %d cells, median %.1f ms, p90 %.1f ms%n", groups,
                    perGroup, sorted[groups / 2] / 1e6, sorted[groups * 9 / 10] / 1e6);
        } else {
            long start = System.nanoTime();
            Map<String, String> statuses;
            try (ResultStore store = ResultStore.open(dir, conf, 3)) {
                statuses = store.statuses();
            }
            System.out.printf(Locale.ROOT, "resume: found %d committed cells in %.2f s%n", statuses.size(),
                    (System.nanoTime() - start) / 1e9);
        }
    }

    private static Row run(String cell, int i) {
        return RowFactory.create(cell, "adding", 20, "lstm", "learned", "learned(" + (i % 500) + ")", 8, 1.0,
                "orthogonal", "adam", 0.01, 8, (long) (i % 2), "completed", 20L, null, 0.17, 0.16, 0.16, "mse", 0.02,
                null, null, "{}");
    }

    private static Row curve(String cell, long update) {
        return RowFactory.create(cell, update, update * 8, 0.17, 0.16, 0.16, 1.0);
    }
}
