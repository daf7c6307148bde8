package dev.carousel.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.CliRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driver whose snappy codec cannot load (snappy-java unpacks its native library into a folder it cannot use, as
 * on a host whose /tmp is mounted noexec) stops before training (sweep, train) or reading (report), with one line
 * naming the folder and the setting that moves it, and writes nothing: before this check a sweep trained its first
 * cells and then failed at their commit with Spark's NoClassDefFoundError. Separate JVMs, because a codec that failed to load stays failed for the
 * JVM's life. The folder here is a regular file, which fails the same load on any machine without root; a tmpfs
 * mounted noexec gave the same line when tried by hand.
 */
class CodecPreflightTest {

    @Test
    void aSweepStopsBeforeTrainingWithOneLineNamingTheCodecFolder(@TempDir Path dir) throws Exception {
        Path spec = SweepCliTest.write(dir, "tiny.conf", SweepCliTest.SPEC);
        Path out = dir.resolve("out");
        Result r = run(dir, "sweep", spec.toString(), "--out", out.toString(), "--master", "local[1]");
        r.assertRefused();
        assertFalse(Files.exists(out), "nothing written: " + out);
    }

    @Test
    void aTrainingRunStopsBeforeTrainingWithTheSameLine(@TempDir Path dir) throws Exception {
        Path conf = SweepCliTest.write(dir, "one.conf", "task { name = adding, length = 10 }\nmodel { hidden = 6 }\n");
        Path out = dir.resolve("out");
        Result r = run(dir, "train", conf.toString(), "--out", out.toString());
        r.assertRefused();
        assertFalse(Files.exists(out), "nothing written: " + out);
    }

    @Test
    void aReportStopsWithTheSameLine(@TempDir Path dir) throws Exception {
        Path results = Files.createDirectories(dir.resolve("results").resolve("runs"));
        Result r = run(dir, "report", results.getParent().toString());
        r.assertRefused();
        assertFalse(Files.exists(results.resolveSibling("report")), "nothing written");
    }

    private record Result(int exit, String log, Path folder) {
        void assertRefused() {
            assertEquals(2, exit, log);
            List<String> lines = log.lines().filter(l -> l.startsWith("carousel: ")).toList();
            assertEquals(1, lines.size(), log);
            String line = lines.get(0);
            assertTrue(line.startsWith("carousel: cannot load the snappy codec of the Parquet result tables"),
                    line);
            assertTrue(line.contains("into " + folder + " ") && line.contains("-Dorg.xerial.snappy.tempdir"), line);
        }
    }

    private static Result run(Path dir, String... args) throws Exception {
        Path notAFolder = Files.writeString(dir.resolve("not-a-folder"), "");
        List<String> cmd = CliRunner.separateJvm(args);
        cmd.add(1, "-Dorg.xerial.snappy.tempdir=" + notAFolder);
        Path log = dir.resolve("cli.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the CLI did not end");
        return new Result(p.exitValue(), Files.readString(log), notAFolder);
    }
}
