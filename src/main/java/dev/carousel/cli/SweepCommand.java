package dev.carousel.cli;

import dev.carousel.store.Storage;
import dev.carousel.sweep.Strategy;
import dev.carousel.sweep.SweepRunner;
import dev.carousel.sweep.SweepSpec;
import dev.carousel.sweep.SweepStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Runs a sweep spec on Spark: every cell not yet committed in the output folder, several at a time, each
 * committed atomically in groups within seconds of its end; then {@code report/index.html}. Re-running resumes.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Run a sweep spec (e.g. conf/sweeps/forget-gate.conf) on Spark and write its result tables "
                + "and report.",
                "Re-running the same command resumes: committed cells are skipped, new axis values run only the new "
                        + "cells. Exit code 1 if a cell failed (the others are committed)."})
final class SweepCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPEC", description = "The sweep spec (HOCON; see conf/sweeps/): a local path "
            + "or a Hadoop file system URI (hdfs://, s3a://, ...).")
    String file;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Output folder of this sweep (default: runs/<sweep name>). It holds one sweep; a folder holding "
                    + "another is refused.")
    String out;

    @Option(names = "--strategy", paramLabel = "S", defaultValue = "auto",
            description = "auto, config-parallel (each cell in one task) or data-parallel (each cell by rounds over its "
                    + "partitions) (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--fast", description = "Run the spec's fast version (its fast section; named <name>-fast, so "
            + "its own default folder).")
    boolean fast;

    @Option(names = "--rerun-failed", description = "Also run again the committed cells whose status is failed.")
    boolean rerunFailed;

    @Option(names = "--commit-seconds", paramLabel = "S", defaultValue = "3",
            description = "Finished cells are committed together at most S seconds after the first of them ends "
                    + "(0: each cell on its own). A killed driver loses at most the cells of the last S seconds "
                    + "besides those running; larger values make fewer, larger files (default: ${DEFAULT-VALUE}).")
    double commitSeconds;

    @Option(names = "--master",
            description = "Spark master (default: spark-submit's master, else local[*]).")
    String master;

    @Option(names = {"-q", "--quiet"}, description = "Print only the final line.")
    boolean quiet;

    @Override
    public Integer call() {
        Strategy chosen = strategy(strategy);
        if (!(commitSeconds >= 0 && commitSeconds <= 3600)) {
            throw new IllegalArgumentException("--commit-seconds " + commitSeconds + ": out of range (accepted: 0 to 3600)");
        }
        Configuration hadoop = Storage.hadoopConf();
        SweepSpec spec;
        String text;
        Path local = ConfigOptions.localPath(file);
        if (local == null) { // on a cluster's file system: a YARN or Kubernetes driver has no copy of the local files
            org.apache.hadoop.fs.Path uri = Storage.resolve(file, "SPEC", hadoop);
            text = Storage.readText(uri, "sweep spec", "the URI of a HOCON sweep spec", hadoop);
            ConfigOptions.requireSweepSpec(ConfigOptions.parsed(text), uri.toString());
            spec = SweepSpec.load(uri, text, fast, hadoop);
        } else {
            ConfigOptions.requireSweepSpec(local);
            spec = SweepSpec.load(local, fast);
            text = specText(local);
        }
        org.apache.hadoop.fs.Path dir = Storage.resolve(out != null ? out : "runs/" + spec.name(), "--out", hadoop);
        SweepStore.check(dir, hadoop, spec.name()); // a bad or unreachable --out fails before Spark starts
        try (SparkSession spark = SparkSessions.local(master, "carousel-sweep " + spec.name())) {
            Map<String, Object> provenance = Provenance.of(spark.version());
            SweepRunner runner = new SweepRunner(spark, spec, new SweepRunner.Options(dir, hadoop, chosen, rerunFailed,
                    provenance, text, quiet ? null : System.out, commitSeconds));
            SweepRunner.Summary s = runner.run();
            if (quiet) {
                System.out.printf(Locale.ROOT, "sweep %s: %d cells, %d run, %d skipped, %d failed; report: %s%n",
                        spec.name(), s.cells(), s.ran(), s.skipped(), s.failed(), s.report());
            }
            return s.failed() > 0 ? 1 : 0;
        }
    }

    /** The spec file's text, kept in sweep.json (the spec was already loaded, so the file is readable). */
    static String specText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Strategy strategy(String s) {
        for (Strategy v : Strategy.values()) {
            if (v.label().equals(s)) {
                return v;
            }
        }
        throw new IllegalArgumentException("--strategy " + s + ": unknown (accepted: auto, config-parallel, data-parallel)");
    }
}
