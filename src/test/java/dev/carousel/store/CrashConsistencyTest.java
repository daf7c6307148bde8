package dev.carousel.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The result store's commits killed at random points, many times in a row on one folder: a child JVM
 * ({@link CommitLoop}) commits groups of synthetic cells as fast as it can and is killed (SIGKILL) after a random
 * delay; the next child opens the same folder (repairing what the last one left) and goes on. After every kill every
 * committed file decodes and every committed cell has all its rows in every table; a cell is never half there.
 */
class CrashConsistencyTest {
    static final int KILLS = 8;

    @Test
    void killedCommitsNeverLeaveAPartialOrUndecodableCell(@TempDir Path dir) throws Exception {
        Random random = new Random(20261205); // fixed: the same kill points on every run of the test
        Set<String> committed = new TreeSet<>();

        for (int i = 0; i < KILLS; i++) {
            Process child = new ProcessBuilder(childJvm(dir, "k" + i)).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            try {
                String line;
                while ((line = out.readLine()) != null && !line.startsWith("committed")) {
                    lines.add(line);
                }
                assertTrue(child.isAlive(), "the commit loop ended before it was killed:\n" + String.join("\n", lines));
                // Its first group is committed; kill it somewhere in the following ones (a group takes ~10-50 ms).
                Thread.sleep(random.nextInt(300));
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            }
            Set<String> now = checkWholeCells(dir);
            assertTrue(now.containsAll(committed), "a committed cell was lost after kill " + i);
            assertTrue(now.size() >= committed.size() + 3, "child " + i + " committed a group before it was killed");
            committed = now;
        }
        try (ResultStore store = ResultStore.open(Storage.local(dir), new org.apache.hadoop.conf.Configuration(), 60)) {
            assertEquals(committed, new TreeSet<>(store.statuses().keySet()));
        }
        assertEquals(committed, checkWholeCells(dir), "the last open's repair keeps every whole cell");
    }

    /** Reads every committed file of the four tables and returns the committed cells, each checked whole. */
    private static Set<String> checkWholeCells(Path dir) {
        Set<String> cells = new TreeSet<>();
        for (Row r : Table.at(dir.resolve(ResultStore.RUNS)).read(ResultTables.RUNS, "cell")) {
            assertTrue(cells.add(r.getString(0)), "cell " + r.getString(0) + " committed twice");
        }
        expectRows(dir, ResultStore.CURVES, ResultTables.CURVES, cells, CommitLoop.CURVES);
        expectRows(dir, ResultStore.STEP_STATS, ResultTables.STEP_STATS, cells, CommitLoop.STATS);
        expectRows(dir, ResultStore.SUMMARIES, ResultTables.SUMMARIES, cells, CommitLoop.SUMMARIES);
        return cells;
    }

    private static void expectRows(Path dir, String table, org.apache.spark.sql.types.StructType schema,
                                   Set<String> cells, int perCell) {
        Map<String, Integer> rows = new HashMap<>();
        if (!cells.isEmpty()) {
            Table.at(dir.resolve(table)).read(schema, "cell").forEach(r -> rows.merge(r.getString(0), 1, Integer::sum));
        }
        for (String cell : cells) {
            assertEquals(perCell, rows.getOrDefault(cell, 0), table + " rows of committed cell " + cell);
        }
    }

    private static List<String> childJvm(Path dir, String prefix) throws IOException {
        String deps = Files.readString(Path.of("target", "classpath.txt"), StandardCharsets.UTF_8).trim();
        String cp = Path.of("target", "test-classes").toAbsolutePath() + File.pathSeparator
                + Path.of("target", "classes").toAbsolutePath() + File.pathSeparator + deps;
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-XX:TieredStopAtLevel=1", // the quick compiler only: the child lives a few seconds
                "-cp", cp, CommitLoop.class.getName(), dir.toString(), prefix);
    }
}
