package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Carousel writes only inside {@code --out}: nothing beside it, nothing in the working directory; and it never
 * reads Java-serialized objects from disk (checkpoints and statistics are .npy, JSON and its own binary format).
 */
class OutputSafetyTest {

    static Set<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void trainAndSweepWriteNothingOutsideOut(@TempDir Path dir) throws IOException {
        Path conf = dir.resolve("tiny.conf");
        Files.writeString(conf, CliTest.TINY);
        Path spec = dir.resolve("s.conf");
        Files.writeString(spec, "name = s\nbase {\n" + CliTest.TINY + "}\ngrid { \"model.cell\" = [lstm, rnn] }\n");
        Files.writeString(dir.resolve("neighbour.txt"), "untouched");
        Set<String> beside = listing(dir);
        Path cwd = Path.of("").toAbsolutePath();
        Set<String> inCwd = listing(cwd);

        assertEquals(0, CliRunner.cli("train", conf.toString(), "--out", dir.resolve("t").toString(), "--master",
                "local[2]", "-q").exit());
        assertEquals(0, CliRunner.cli("sweep", spec.toString(), "--out", dir.resolve("w").toString(), "--master",
                "local[2]", "-q").exit());
        assertEquals(0, CliRunner.cli("report", dir.resolve("w").toString()).exit());

        Set<String> expected = new TreeSet<>(beside);
        expected.addAll(List.of("t", "w"));
        assertEquals(expected, listing(dir), "only the two --out folders were added beside the inputs");
        assertEquals("untouched", Files.readString(dir.resolve("neighbour.txt")));
        assertEquals(inCwd, listing(cwd), "nothing written into the working directory (no spark-warehouse, no logs)");
        try (Stream<Path> s = Files.walk(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".staging")), "no staging left");
        }
    }

    @Test
    void nothingInTheMainCodeReadsJavaSerializedObjectsFromFiles() throws IOException {
        // StepStats' readObject only guards Spark's in-memory (wire) serialization through its serial proxy;
        // no main class opens an ObjectInputStream, so nothing Java-serialized is ever read from disk.
        try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
            for (Path p : s.filter(f -> f.toString().endsWith(".java")).toList()) {
                String text = Files.readString(p);
                assertTrue(!text.contains("new ObjectInputStream"), p + " opens an ObjectInputStream");
            }
        }
    }
}
