package dev.carousel.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.CliRunner;
import dev.carousel.store.ResultTables;
import dev.carousel.store.Storage;
import dev.carousel.store.Table;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver JVM killed (SIGKILL) in the middle of a sweep: the folder holds only whole cells, and re-running the
 * same command recomputes none of them and ends with the same tables as a run that was never interrupted.
 */
class SweepKillResumeTest {
    static final String SPEC = "name = kill\n" + SweepCliTest.BASE.replace("updates = 30", "updates = 60")
            + "grid {\n  \"model.cell\" = [lstm]\n  \"model.forget-gate.bias\" = [-1, 0, 1, 2, 3]\n}\nseeds = [1, 2]\n";

    @Test
    void aSweepKilledMidwayResumesWithoutRecomputingCommittedCellsAndEndsAsIfUninterrupted(@TempDir Path dir)
            throws Exception {
        Path spec = SweepCliTest.write(dir, "kill.conf", SPEC);
        Path killed = dir.resolve("killed");
        Path log = dir.resolve("driver.log");
        org.apache.hadoop.fs.Path killedUri = Storage.local(killed);
        Configuration conf = new Configuration();
        Process driver = new ProcessBuilder(CliRunner.separateJvm("sweep", spec.toString(), "--out",
                killed.toString(), "--master", "local[2]", "--commit-seconds", "0")).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (!Files.isDirectory(killed.resolve("runs/_delta_log"))
                    || SweepStore.committed(killedUri, conf).size() < 2) {
                assertTrue(driver.isAlive(), "the driver ended before it was killed:\n" + Files.readString(log));
                assertTrue(System.nanoTime() < deadline, "no cell committed in time:\n" + Files.readString(log));
                Thread.sleep(100);
            }
        } finally {
            driver.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
            driver.waitFor(60, TimeUnit.SECONDS);
        }
        List<String> survivors = SweepStore.committed(killedUri, conf);
        assertTrue(survivors.size() >= 2 && survivors.size() < 10,
                "killed mid-sweep with " + survivors.size() + " of 10 cells committed");
        // What a crash leaves is readable: Spark's Delta reader sees exactly the committed cells.
        List<Row> runsBefore = SweepCliTest.spark().read().format("delta").load(killed.resolve("runs").toString())
                .collectAsList();
        assertEquals(survivors.size(), runsBefore.size());
        Map<String, String> before = new TreeMap<>();
        runsBefore.forEach(r -> before.put(r.getAs("cell"), r.toString())); // wall time included: set by training

        CliRunner.Run resumed = SweepCliTest.sweep(spec, killed);
        assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains(survivors.size() + " committed in") && resumed.out()
                .contains((10 - survivors.size()) + " to run"), resumed.out());
        Map<String, String> after = new TreeMap<>();
        SweepCliTest.spark().read().format("delta").load(killed.resolve("runs").toString()).collectAsList()
                .forEach(r -> after.put(r.getAs("cell"), r.toString()));
        for (String cell : survivors) {
            assertEquals(before.get(cell), after.get(cell), "committed cell " + cell + " was not recomputed");
        }
        for (String table : List.of("runs", "curves", "step_stats", "summaries")) {
            Set<String> named = Table.at(killed.resolve(table)).files().stream()
                    .map(org.apache.hadoop.fs.Path::getName).collect(Collectors.toSet());
            try (Stream<Path> left = Files.list(killed.resolve(table))) {
                List<String> unnamed = left.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".parquet") && !named.contains(n)).toList();
                assertEquals(List.of(), unnamed, table + ": the killed writer's uncommitted files are deleted");
            }
        }

        Path clean = dir.resolve("clean");
        assertEquals(0, SweepCliTest.sweep(spec, clean).exit());
        for (Map.Entry<String, StructType> t : Map.of("runs", ResultTables.RUNS, "curves", ResultTables.CURVES,
                "step_stats", ResultTables.STEP_STATS, "summaries", ResultTables.SUMMARIES).entrySet()) {
            assertEquals(SweepCliTest.rows(clean.resolve(t.getKey()), t.getValue()),
                    SweepCliTest.rows(killed.resolve(t.getKey()), t.getValue()), t.getKey());
        }
    }
}
