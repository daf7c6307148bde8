package dev.carousel.cli;

import dev.carousel.io.Json;
import dev.carousel.report.SweepReport;
import dev.carousel.store.Folders;
import dev.carousel.store.ParquetFiles;
import dev.carousel.store.Storage;
import dev.carousel.sweep.SweepStore;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Writes the HTML report of a results folder (tables {@code runs/}, {@code curves/}, {@code step_stats/}) on any
 * Hadoop file system to {@code DIR/report/} ({@code index.html} and PNG figures), replacing an earlier report. The
 * tables are read on this JVM: no Spark session starts.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write DIR/report/index.html with PNG figures from the result tables in DIR.")
final class ReportCommand implements Callable<Integer> {
    static final String[] TABLES = {"runs", "curves", "step_stats", "summaries"};

    @Parameters(index = "0", paramLabel = "DIR",
            description = "Results folder holding runs/, curves/ and step_stats/: a local path or a Hadoop URI.")
    String dir;

    @Option(names = "--title", paramLabel = "T", description = "Report title (default: 'Carousel — ' and DIR's name).")
    String title;

    @Option(names = "--x", paramLabel = "AXIS", description = "Horizontal axis of the per-cell figures: a sweep axis "
            + "(e.g. optimizer.learning-rate) or 'setting' (default: the forget-gate setting).")
    String x;

    @Option(names = {"--color", "--colour"}, paramLabel = "AXIS", description = "What colours the cells: a sweep axis or "
            + "'setting' (default). More than 12 numeric values get a colour scale with a colour bar.")
    String colour;

    @Option(names = "--facet", paramLabel = "AXIS", description = "What splits the report into sections: a sweep axis "
            + "(default: task and sequence length T).")
    String facet;

    @Override
    public Integer call() {
        Configuration hadoop = Storage.hadoopConf();
        Path results = Storage.resolve(dir, "results folder", hadoop);
        if (!Storage.probe(results, "results folder", hadoop) || !Storage.isDirectory(results, hadoop)) {
            throw new IllegalArgumentException("results folder " + results + " does not exist or is not a directory");
        }
        boolean any = false;
        for (String t : TABLES) {
            any |= Storage.isDirectory(new Path(results, t), hadoop);
        }
        if (!any) {
            throw new IllegalArgumentException("results folder " + results
                    + " has none of the tables runs/, curves/, step_stats/");
        }
        ParquetFiles.requireCodec(); // reading decompresses the same snappy pages
        Path manifestFile = new Path(results, SweepStore.MANIFEST);
        Map<String, Object> manifest;
        try {
            manifest = Storage.exists(manifestFile, hadoop) ? Json.parse(Storage.readAll(manifestFile, hadoop)) : null;
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalArgumentException(manifestFile + ": unreadable sweep manifest (" + e.getMessage() + ")");
        }
        Object sweep = manifest == null ? null : manifest.get("name");
        String t = title != null ? title : sweep != null ? "sweep " + sweep : "Carousel — " + results.getName();
        SweepReport.Options options = new SweepReport.Options(x, colour, facet);
        SweepReport.checkAxes(results, hadoop, options); // before anything is written
        SweepReport.Report[] report = new SweepReport.Report[1];
        Path target = new Path(results, SweepStore.REPORT);
        Folders.write(target, hadoop, folder -> report[0] = SweepReport.write(results, hadoop, folder, t, options));
        Path index = new Path(target, "index.html");
        System.out.printf("report: %s (%d figures%s)%n", index, report[0].figures().size(),
                report[0].notes().isEmpty() ? "" : ", " + report[0].notes().size() + " note(s)");
        return 0;
    }
}
