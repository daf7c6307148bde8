package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.report.SweepReportTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carousel report DIR}: the real CLI on the report fixture's Parquet tables; bad input exits 2. */
class ReportCommandTest {
    @Test
    void writesTheReportIntoDirReport(@TempDir Path dir) throws IOException {
        Path results = dir.resolve("sweep-1");
        SweepReportTest.writeTables(results);
        CliRunner.Run run = CliRunner.cli("report", results.toString(), "--title", "CLI sweep");
        assertEquals(0, run.exit(), run.err());
        Path report = results.resolve("report");
        assertTrue(run.out().contains(report.resolve("index.html") + " (7 figures"), run.out());
        String html = Files.readString(report.resolve("index.html"));
        assertTrue(html.contains("<h1>CLI sweep</h1>"));
        try (Stream<Path> files = Files.list(report)) {
            assertEquals(7, files.filter(p -> p.toString().endsWith(".png")).count());
        }
        try (Stream<Path> files = Files.list(results)) {
            assertEquals(List.of("curves", "report", "runs", "step_stats"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no staging left behind");
        }

        // Again, with the default title: the report is replaced.
        run = CliRunner.cli("report", results.toString());
        assertEquals(0, run.exit(), run.err());
        String again = Files.readString(report.resolve("index.html"));
        assertTrue(again.contains("<h1>Carousel — sweep-1</h1>"), again.substring(again.indexOf("<h1>"), again.indexOf("<h1>") + 80));

        // An axis the results do not have: exit 2, one line naming the option and the axes there are; the report
        // already there is left as it was.
        run = CliRunner.cli("report", results.toString(), "--x", "optimizer.learning-rate");
        assertEquals(2, run.exit(), run.out() + run.err());
        assertTrue(run.err().contains("--x optimizer.learning-rate: no such axis in these results; axes: setting"),
                run.err());
        assertEquals(again, Files.readString(report.resolve("index.html")));
    }

    @Test
    void missingOrEmptyFolderIsBadInput(@TempDir Path dir) throws IOException {
        CliRunner.Run run = CliRunner.cli("report", dir.resolve("nope").toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("does not exist"), run.err());
        run = CliRunner.cli("report", dir.toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("has none of the tables"), run.err());
    }
}
