package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train on file datasets through the real CLI: a CSV dataset trains on 2 partitions; a bad file stops everything first. */
class FileDataTrainTest {
    @Test
    void trainsOnACsvDatasetAcrossPartitions(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("seqs.csv");
        Files.writeString(data, FileDataTrainTestData.csv(false), StandardCharsets.UTF_8);
        Path conf = dir.resolve("file.conf");
        Files.writeString(conf, FileDataTrainTestData.BASE + "data { format = csv, path = \"" + data + "\", validation-fraction = 0.2 }\n");
        CliRunner.Run run = CliRunner.cli("train", conf.toString(), "--out", dir.resolve("out").toString(), "--master", "local[2]");
        assertEquals(0, run.exit(), run.err() + run.out());
        assertTrue(run.out().contains("data=csv:"), run.out());
        try (var children = Files.list(dir.resolve("out"))) {
            Path result = children.filter(p -> p.getFileName().toString().startsWith("train-")).findFirst().orElseThrow();
            assertTrue(Files.isRegularFile(result.resolve("summary.md")));
            assertTrue(Files.isDirectory(result.resolve("step_stats")));
        }
    }

    @Test
    void aBadRecordStopsTheJobBeforeTrainingAndWritesNothing(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("broken.csv");
        Files.writeString(data, FileDataTrainTestData.csv(true), StandardCharsets.UTF_8);
        Path conf = dir.resolve("file.conf");
        Files.writeString(conf, FileDataTrainTestData.BASE + "data { format = csv, path = \"" + data + "\" }\n");
        Path out = dir.resolve("out");
        CliRunner.Run run = CliRunner.cli("train", conf.toString(), "--out", out.toString(), "--master", "local[2]");
        assertEquals(Main.BAD_INPUT, run.exit(), run.out());
        // Our error is one line; anything else on stderr is Spark's own logging.
        java.util.List<String> ours = run.err().lines().filter(l -> l.startsWith("carousel:")).toList();
        assertEquals(1, ours.size(), run.err());
        String err = ours.get(0);
        // line 1 is the header; sequence 7 step 2 is data line 7·5 + 2 + 2 = 39
        assertTrue(err.contains("broken.csv:39") && err.contains("oops"), err);
        assertFalse(Files.exists(out), "nothing may be written for bad data");
        SparkSession.clearActiveSession();
    }
}
