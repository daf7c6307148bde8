package dev.carousel.cli;

import dev.carousel.experiment.Check;
import dev.carousel.experiment.Expectations;
import dev.carousel.experiment.Results;
import dev.carousel.experiment.ResultsReader;
import dev.carousel.store.Storage;
import dev.carousel.sweep.Strategy;
import dev.carousel.sweep.SweepRunner;
import dev.carousel.sweep.SweepSpec;
import dev.carousel.sweep.SweepStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Runs one of the built-in reproductions ({@code conf/experiments/NAME.conf}) as a sweep, then checks its
 * expectations ({@link Expectations}) against the result tables read back from the result store and prints one PASS/FAIL
 * line per expectation with the measured figures. Re-running resumes the sweep (committed cells are not run again)
 * and checks again.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = {"Run a built-in reproduction (conf/experiments/NAME.conf) and check its expectations: one "
                + "PASS/FAIL line each, with the measured figures; exit 0 only if all pass.",
                "Experiments: vanishing-at-init, exploding-at-init, forget-bias-adding, "
                        + "large-bias-without-input-coupling, copy-plateau. Results and report go to DIR "
                        + "(default runs/experiments/NAME, or NAME-fast); the PASS/FAIL lines also to DIR/report/expectations.txt."})
final class ExperimentCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "The experiment (a file name in the experiments folder, without .conf).")
    String name;

    static final class Version {
        @Option(names = "--fast", description = "Run the spec's fast version (its fast section): what the test suite runs.")
        boolean fast;

        @Option(names = "--full", description = "Run the full version (the default).")
        boolean full;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Version version = new Version();

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: runs/experiments/NAME[-fast]).")
    String out;

    @Option(names = "--experiments", paramLabel = "DIR", defaultValue = "conf/experiments",
            description = "Folder of the experiment specs (default: ${DEFAULT-VALUE}).")
    Path experiments;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a run-config key of every cell's base, e.g. --set distributed.partitions=2.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--master", description = "Spark master (default: spark-submit's master, else local[*]).")
    String master;

    @Option(names = {"-q", "--quiet"}, description = "Print only the PASS/FAIL lines.")
    boolean quiet;

    @Override
    public Integer call() {
        Path file = experiments.resolve(name + ".conf");
        if (!Expectations.NAMES.contains(name) || !Files.isRegularFile(file)) {
            throw new IllegalArgumentException("experiment " + name + ": unknown" + (Files.isRegularFile(file) ? ""
                    : " (no " + file + ")") + "; expected one of " + String.join(", ", Expectations.NAMES));
        }
        boolean fast = version != null && version.fast;
        SweepSpec spec = SweepSpec.load(file, fast, overrides);
        Configuration hadoop = Storage.hadoopConf();
        org.apache.hadoop.fs.Path dir = Storage.resolve(out != null ? out : "runs/experiments/" + spec.name(), "--out",
                hadoop);
        String text = SweepCommand.specText(file);
        try (SparkSession spark = SparkSessions.local(master, "carousel-experiment " + spec.name())) {
            SweepRunner runner = new SweepRunner(spark, spec, new SweepRunner.Options(dir, hadoop, Strategy.AUTO, false,
                    Provenance.of(spark.version()), text, quiet ? null : System.out,
                    SweepStore.COMMIT_SECONDS));
            SweepRunner.Summary s = runner.run();
            Results results = ResultsReader.read(dir, hadoop);
            List<Check> checks = new ArrayList<>(Expectations.check(name, fast, results));
            if (s.failed() > 0) {
                checks.add(new Check("every cell completes", false, s.failed() + " cell(s) failed"));
            }
            List<String> lines = new ArrayList<>();
            lines.add(String.format(Locale.ROOT, "experiment %s%s: %d cells (%d run now); results in %s, report %s",
                    name, fast ? " (fast)" : "", s.cells(), s.ran(), dir, s.report()));
            checks.forEach(c -> lines.add(c.line()));
            long passed = checks.stream().filter(Check::pass).count();
            lines.add(String.format(Locale.ROOT, "experiment %s%s: %d of %d expectations pass", name,
                    fast ? " (fast)" : "", passed, checks.size()));
            lines.forEach(System.out::println);
            Storage.writeAtomically(new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(dir, SweepStore.REPORT),
                    "expectations.txt"), (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8), hadoop);
            return passed == checks.size() ? 0 : 1;
        }
    }
}
