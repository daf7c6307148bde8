package dev.carousel.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.CliRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of a 1,000-cell random sweep over a continuous forget-bias axis (500 biases × 2 seeds, tiny cells):
 * every figure keeps at most 12 legend entries (the biases get a colour scale), labels are short, and the page
 * opens cleanly in headless Chromium. How long the report takes is measured by {@code bench/report.sh}.
 */
class LargeSweepReportTest {
    /** 500 forget biases drawn uniformly in [−3, 3], 2 seeds: 1,000 cells of 20 updates at T = 12. */
    static final String SPEC = "name = biases\n"
            + "base {\n"
            + "  task { name = adding, length = 12, validation-sequences = 16 }\n"
            + "  model { hidden = 4 }\n"
            + "  optimizer { name = adam, learning-rate = 0.01 }\n"
            + "  training { batch-size = 4, updates = 20, eval-every = 10 }\n"
            + "  probes { enabled = true, every = 10 }\n"
            + "}\n"
            + "random { count = 500, seed = 3, axes { \"model.forget-gate.bias\" = { distribution = uniform, min = -3, max = 3 } } }\n"
            + "seeds = [1, 2]\n";

    @Test
    void aThousandCellReportKeepsLegendsSmallAndOpensInTheBrowser(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("biases.conf");
        Files.writeString(spec, SPEC);
        Path out = dir.resolve("out");
        CliRunner.Run run = CliRunner.cli("sweep", spec.toString(), "--out", out.toString(), "--master", "local[2]", "-q");
        assertEquals(0, run.exit(), run.out() + run.err());

        SweepReport.Report report = SweepReport.write(out, dir.resolve("report"), "sweep biases");

        assertTrue(report.figures().size() >= 7, report.figures().toString());
        for (SweepReport.Figure f : report.figures()) {
            assertTrue(f.legendEntries() <= Encoding.MAX_LEGEND, f.file().getFileName() + ": " + f.legendEntries()
                    + " legend entries");
        }
        String html = Files.readString(report.index());
        assertTrue(html.contains("coloured by forget-gate setting (learned: initial forget bias b_f) (colour bar)"), html);
        assertTrue(html.contains("(biases in 12 bins)"), "the heatmap bins 500 biases into rows");
        java.util.regex.Matcher longNumber = java.util.regex.Pattern.compile(".{0,40}\\d\\.\\d{8,}.{0,20}").matcher(html);
        assertTrue(!longNumber.find(), () -> "no long-digit labels in the page: " + longNumber.group());
        assertEquals(List.of(), report.notes().stream().filter(n -> !n.contains("no values for")).toList());

        Browser.assumeAvailable();
        ReportInBrowserTest.assertOpensCleanly(report.index(), Path.of("target", "report-1000-cells-screenshot.png"),
                report.figures().size());
    }
}
