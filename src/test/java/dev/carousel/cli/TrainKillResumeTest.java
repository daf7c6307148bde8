package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.ConfigLoader;
import dev.carousel.train.Checkpoint;
import dev.carousel.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver of a distributed {@code train} killed (SIGKILL) while it writes round checkpoints: every checkpoint a
 * reader can see is whole, and {@code train --resume} ends with the same results as a run never interrupted.
 */
class TrainKillResumeTest {
    static final String CONF = "seed = 9\ntask { name = adding, length = 12, validation-sequences = 32 }\n"
            + "model.hidden = 8\ntraining { batch-size = 8, updates = 240, eval-every = 20 }\nprobes.every = 40\n"
            + "distributed { partitions = 2, local-steps = 4, checkpoint-every = 1 }\n";

    @Test
    void aDriverKilledWhileCheckpointingResumesToTheUninterruptedResult(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("k.conf");
        Files.writeString(conf, CONF);
        String hash = ConfigLoader.hash(ConfigLoader.load(conf));
        Path out = dir.resolve("killed");
        Path checkpoints = out.resolve("checkpoints-" + hash);
        Process driver = new ProcessBuilder(CliRunner.separateJvm("train", conf.toString(), "--out", out.toString(),
                "--master", "local[2]", "-q")).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile())
                .start();
        boolean midWrite = false;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            // Kill as soon as a checkpoint is being written (a hidden staging folder exists) after a few committed
            // ones; if the writes are too quick to catch, kill between them.
            while (true) {
                assertTrue(driver.isAlive(), "the run ended before it was killed:\n" + Files.readString(dir.resolve("log")));
                assertTrue(System.nanoTime() < deadline, "no checkpoint in time:\n" + Files.readString(dir.resolve("log")));
                List<String> names = list(checkpoints);
                long committed = names.stream().filter(n -> n.startsWith("round-")).count();
                if (committed >= 2 && names.stream().anyMatch(n -> n.startsWith(".staging"))) {
                    midWrite = true;
                    break;
                }
                if (names.stream().filter(n -> n.startsWith("round-")).anyMatch(n -> n.compareTo("round-00000020") >= 0)) {
                    break;
                }
                Thread.onSpinWait();
            }
        } finally {
            driver.destroyForcibly();
            driver.waitFor(60, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(out.resolve("train-" + hash)), "killed before the run committed");
        // Whatever a reader lists as a checkpoint is whole: the manifest, θ and the progress all read back.
        List<String> rounds = list(checkpoints).stream().filter(n -> n.startsWith("round-")).toList();
        assertFalse(rounds.isEmpty());
        for (String r : rounds) {
            Checkpoint ck = Checkpoint.read(checkpoints.resolve(r));
            assertEquals(hash, ConfigLoader.hash(ck.config()), r);
            assertTrue(Json.read(checkpoints.resolve(r).resolve("progress.json")).containsKey("curve_bits"), r);
        }

        CliRunner.Run resumed = CliRunner.cli("train", conf.toString(), "--out", out.toString(), "--master", "local[2]",
                "--resume", "-q");
        assertEquals(0, resumed.exit(), resumed.out() + resumed.err() + " (killed mid-write: " + midWrite + ")");
        assertEquals(List.of("train-" + hash), list(out), "committed, checkpoints and stale staging removed");

        Path clean = dir.resolve("clean");
        assertEquals(0, CliRunner.cli("train", conf.toString(), "--out", clean.toString(), "--master", "local[2]", "-q")
                .exit());
        Path a = out.resolve("train-" + hash);
        Path b = clean.resolve("train-" + hash);
        assertArrayEquals(Files.readAllBytes(b.resolve("checkpoint/parameters.npy")),
                Files.readAllBytes(a.resolve("checkpoint/parameters.npy")), "θ bit-identical");
        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        for (String table : List.of("curves", "step_stats")) {
            assertEquals(rows(spark, b.resolve(table)), rows(spark, a.resolve(table)), table);
        }
    }

    static List<String> rows(SparkSession spark, Path table) {
        return spark.read().parquet(table.toString()).collectAsList().stream().map(Row::toString).sorted().toList();
    }

    static List<String> list(Path dir) throws java.io.IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        }
    }
}
