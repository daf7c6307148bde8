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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver of a distributed {@code train} killed (SIGKILL) after it has committed a round checkpoint and while it
 * trains on: every checkpoint a reader can see is whole, {@code train --resume} continues from the newest one (its
 * first evaluation is the first one after that checkpoint's update), and it ends with the same results as a run never
 * interrupted.
 */
class TrainKillResumeTest {
    static final long UPDATES = 240;
    static final long EVAL_EVERY = 20;
    /** 60 rounds of 4 local steps over 2 partitions, a checkpoint after each (the two newest are kept). */
    static final String CONF = "seed = 9\ntask { name = adding, length = 12, validation-sequences = 32 }\n"
            + "model.hidden = 8\ntraining { batch-size = 8, updates = " + UPDATES + ", eval-every = " + EVAL_EVERY
            + " }\nprobes.every = 40\ndistributed { partitions = 2, local-steps = 4, checkpoint-every = 1 }\n";
    private static final Pattern EVALUATION = Pattern.compile("^\\[round \\d+/\\d+, update +(\\d+)/\\d+\\]");

    @Test
    void aDriverKilledAfterACheckpointResumesFromItToTheUninterruptedResult(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("k.conf");
        Files.writeString(conf, CONF);
        String hash = ConfigLoader.hash(ConfigLoader.load(conf));
        Path out = dir.resolve("killed");
        Path checkpoints = out.resolve("checkpoints-" + hash);
        Path log = dir.resolve("log");
        Process driver = new ProcessBuilder(CliRunner.separateJvm("train", conf.toString(), "--out", out.toString(),
                "--master", "local[2]", "-q")).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        List<String> atKill;
        try {
            // Sleep between looks, so that the test leaves the driver the CPU it trains with.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (rounds(checkpoints).isEmpty()) {
                assertTrue(driver.isAlive(), "the run ended before a checkpoint was seen:\n" + Files.readString(log));
                assertTrue(System.nanoTime() < deadline, "no checkpoint in time:\n" + Files.readString(log));
                Thread.sleep(20);
            }
            assertTrue(driver.isAlive(), "the run ended before it was killed:\n" + Files.readString(log));
            driver.destroyForcibly();
            assertTrue(driver.waitFor(60, TimeUnit.SECONDS), "the killed driver did not exit");
            atKill = list(checkpoints);
        } finally {
            driver.destroyForcibly();
            driver.waitFor(60, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(out.resolve("train-" + hash)), "killed before the run committed");
        // Whatever a reader lists as a checkpoint is whole: the manifest, θ and the progress all read back.
        List<String> rounds = rounds(checkpoints);
        assertFalse(rounds.isEmpty());
        for (String r : rounds) {
            Checkpoint ck = Checkpoint.read(checkpoints.resolve(r));
            assertEquals(hash, ConfigLoader.hash(ck.config()), r);
            assertTrue(Json.read(checkpoints.resolve(r).resolve("progress.json")).containsKey("curve_bits"), r);
        }
        long resumeAt = Checkpoint.read(checkpoints.resolve(rounds.get(rounds.size() - 1))).update();
        assertTrue(resumeAt > 0 && resumeAt < UPDATES, "killed while training, at update " + resumeAt + ": " + atKill);

        // Not quiet: the resumed run prints a line per evaluation, the first after the checkpoint's update, where a
        // fresh start would print update 0.
        CliRunner.Run resumed = CliRunner.cli("train", conf.toString(), "--out", out.toString(), "--master", "local[2]",
                "--resume");
        assertEquals(0, resumed.exit(), resumed.out() + resumed.err() + " (checkpoints at the kill: " + atKill + ")");
        List<Long> evaluated = resumed.out().lines().map(EVALUATION::matcher).filter(Matcher::find)
                .map(m -> Long.parseLong(m.group(1))).toList();
        List<Long> after = LongStream.rangeClosed(resumeAt / EVAL_EVERY + 1, UPDATES / EVAL_EVERY)
                .map(i -> i * EVAL_EVERY).boxed().toList();
        System.out.printf("killed with checkpoints %s; resumed from update %d, evaluated at %s%n", atKill, resumeAt,
                evaluated);
        assertEquals(after, evaluated, "resumed from update " + resumeAt + ":\n" + resumed.out());
        assertEquals(List.of("train-" + hash), list(out), "committed, checkpoints and stale staging removed");

        Path clean = dir.resolve("clean");
        assertEquals(0, CliRunner.cli("train", conf.toString(), "--out", clean.toString(), "--master", "local[2]", "-q")
                .exit());
        Path a = out.resolve("train-" + hash);
        Path b = clean.resolve("train-" + hash);
        // θ, the optimiser state and the manifest (update, step count), byte for byte.
        List<String> files = list(b.resolve("checkpoint"));
        assertEquals(files, list(a.resolve("checkpoint")));
        assertTrue(files.contains("parameters.npy"), files.toString());
        for (String f : files) {
            assertArrayEquals(Files.readAllBytes(b.resolve("checkpoint").resolve(f)),
                    Files.readAllBytes(a.resolve("checkpoint").resolve(f)), f + " bit-identical");
        }
        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        for (String table : List.of("curves", "step_stats")) {
            assertEquals(rows(spark, b.resolve(table)), rows(spark, a.resolve(table)), table);
        }
    }

    /** The committed round checkpoints in {@code dir}, oldest first. */
    static List<String> rounds(Path dir) throws java.io.IOException {
        return list(dir).stream().filter(n -> n.startsWith("round-")).toList();
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
