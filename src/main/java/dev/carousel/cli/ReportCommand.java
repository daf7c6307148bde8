package dev.carousel.cli;

import dev.carousel.io.AtomicDirectory;
import dev.carousel.report.SweepReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Writes the HTML report of a results folder (Parquet tables {@code runs/}, {@code curves/}, {@code step_stats/})
 * to {@code DIR/report/} ({@code index.html} and PNG figures), atomically replacing an earlier report. The tables
 * are read on this JVM: no Spark session starts.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write DIR/report/index.html with PNG figures from the result tables in DIR.")
final class ReportCommand implements Callable<Integer> {
    static final String[] TABLES = {"runs", "curves", "step_stats"};

    @Parameters(index = "0", paramLabel = "DIR", description = "Results folder holding runs/, curves/ and step_stats/.")
    Path dir;

    @Option(names = "--title", paramLabel = "T", description = "Report title (default: 'Carousel — ' and DIR's name).")
    String title;

    @Override
    public Integer call() {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("results folder " + dir + " does not exist or is not a directory");
        }
        boolean any = false;
        for (String t : TABLES) {
            any |= Files.isDirectory(dir.resolve(t));
        }
        if (!any) {
            throw new IllegalArgumentException("results folder " + dir + " has none of the tables runs/, curves/, step_stats/");
        }
        dev.carousel.sweep.ResultTables.requireCodec(); // reading decompresses the same snappy pages
        Path name = dir.toAbsolutePath().normalize().getFileName();
        Path manifest = dir.resolve(dev.carousel.sweep.SweepStore.MANIFEST);
        Object sweep = Files.isRegularFile(manifest) ? dev.carousel.io.Json.read(manifest).get("name") : null;
        String t = title != null ? title
                : sweep != null ? "sweep " + sweep : "Carousel — " + (name == null ? dir : name);
        Path target = dir.resolve("report");
        AtomicDirectory.cleanStale(dir);
        SweepReport.Report report;
        try (AtomicDirectory out = AtomicDirectory.begin(target)) {
            report = SweepReport.write(dir, out.staging(), t);
            out.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.printf("report: %s (%d figures%s)%n", target.resolve("index.html"), report.figures().size(),
                report.notes().isEmpty() ? "" : ", " + report.notes().size() + " note(s)");
        return 0;
    }
}
