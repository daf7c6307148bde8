package dev.carousel.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.scaling.Projection;
import dev.carousel.scaling.ScalingModel;
import dev.carousel.store.Storage;
import dev.carousel.sweep.Cell;
import dev.carousel.sweep.CostEstimate;
import dev.carousel.sweep.SweepSpec;
import dev.carousel.train.MemoryCheck;
import dev.carousel.train.RunSetup;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Checks a config and prints what it resolves to and what it would cost, training nothing; with
 * {@code --executors} it also times a few steps here for the scaling model's projection ({@link Projection}).
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Check a config, print the resolved config, its hash, model size and estimated work; train nothing.",
                "Given a sweep spec (a file with base, grid, random, seeds or cells), print its number of cells, "
                        + "the first cells with their axis values and the total estimated GFLOP.",
                "With --executors N, also time a few training steps of the config here and project its "
                        + "data-parallel rounds on N executors (and on 1, 2, 4, … 256) over the network given."})
final class ValidateCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--executors", paramLabel = "N",
            description = "Project the config's rounds on N executors, one task slot each (1..100000).")
    Integer executors;

    @Option(names = "--bandwidth", paramLabel = "GBIT", defaultValue = "10",
            description = "Network bandwidth of the projection, Gbit/s (default: ${DEFAULT-VALUE}).")
    double bandwidthGbit;

    @Option(names = "--latency", paramLabel = "MS", defaultValue = "0.2",
            description = "Network latency of the projection, milliseconds (default: ${DEFAULT-VALUE}).")
    double latencyMs;

    /** Rows of the cell table printed for a sweep spec. */
    static final int SWEEP_ROWS = 12;

    @Override
    public Integer call() {
        if (executors != null && (executors < 1 || executors > 100_000)) {
            throw new IllegalArgumentException("--executors = " + executors + ": expected 1..100000");
        }
        if (!(bandwidthGbit > 0) || Double.isInfinite(bandwidthGbit)) {
            throw new IllegalArgumentException("--bandwidth = " + bandwidthGbit + ": expected a positive Gbit/s");
        }
        if (!(latencyMs >= 0) || Double.isInfinite(latencyMs)) {
            throw new IllegalArgumentException("--latency = " + latencyMs + ": expected milliseconds >= 0");
        }
        CarouselConfig c;
        if (config.file != null && config.localFile() == null) { // a URI: read once, a spec or a run config
            Configuration hadoop = Storage.hadoopConf();
            org.apache.hadoop.fs.Path uri = Storage.resolve(config.file, "CONFIG", hadoop);
            String text = ConfigOptions.readText(uri, hadoop);
            Config remote = ConfigOptions.parsed(text);
            if (remote != null && SweepSpec.isSweepSpec(remote)) {
                return validateSweep(() -> SweepSpec.load(uri, text, false, hadoop));
            }
            c = config.load(uri, text);
        } else {
            Config root = config.localFile() == null ? null : ConfigOptions.parsed(config.localFile());
            if (root != null && SweepSpec.isSweepSpec(root)) {
                return validateSweep(() -> SweepSpec.load(config.localFile()));
            }
            c = config.load();
        }
        if (!c.data().isGenerated()) {
            System.out.println(ConfigLoader.toConfig(c).root().render(ConfigRenderOptions.defaults().setOriginComments(false)
                    .setJson(false)).trim());
            System.out.printf(Locale.ROOT, "%nconfig %s is valid; its %s dataset at %s is read and validated when training starts%n",
                    ConfigLoader.hash(c), c.data().format(), c.data().path());
            if (executors != null) {
                System.out.println("no projection: a file dataset's sequence length and input size are known only "
                        + "from its files; project a generated task of the same shape");
            }
            return 0;
        }
        RunSetup setup = RunSetup.of(c);
        MemoryCheck.require(config.file, setup); // train refuses it too: say so now
        System.out.println(ConfigLoader.toConfig(c).root().render(ConfigRenderOptions.defaults().setOriginComments(false)
                .setJson(false)).trim());
        long params = setup.spec().layout().count();
        double flops = CostEstimate.flopsPerUpdate(setup);
        System.out.printf(Locale.ROOT, "%nconfig %s is valid%n  %s%n  sequence length %d, %d parameters%n"
                        + "  ~%.3g GFLOP per update (matrix products only), ~%.3g GFLOP for %d updates%n",
                ConfigLoader.hash(c), setup.describe(), setup.task().sequenceLength(), params, flops / 1e9,
                flops * c.training().updates() / 1e9, c.training().updates());
        if (executors != null) {
            ScalingModel model = Projection.of(setup, ScalingModel.Network.gigabits(bandwidthGbit, latencyMs));
            Projection.print(System.out, model, executors,
                    (long) c.training().batchSize() * c.distributed().localSteps());
        }
        return 0;
    }


    /** Expands the sweep spec and prints its cell count, its first cells with their axis values and its cost. */
    private int validateSweep(java.util.function.Supplier<SweepSpec> load) {
        if (executors != null) {
            throw new IllegalArgumentException("--executors projects one config, not a sweep spec (" + config.file
                    + "); validate one of its cells' configs");
        }
        if (!config.overrides.isEmpty()) {
            throw new IllegalArgumentException("--set does not apply to a sweep spec; set keys in its base section ("
                    + config.file + ")");
        }
        SweepSpec spec = load.get();
        List<Cell> cells = spec.cells();
        System.out.printf(Locale.ROOT, "sweep %s is valid: %d cells (%d combinations, %d duplicates removed)%n",
                config.file, cells.size(), spec.combinations(), spec.combinations() - cells.size());
        List<String> header = new ArrayList<>();
        header.add("#");
        header.add("cell");
        header.addAll(spec.columns());
        header.add("GFLOP");
        List<List<String>> rows = new ArrayList<>();
        rows.add(header);
        for (int i = 0; i < Math.min(SWEEP_ROWS, cells.size()); i++) {
            Cell cell = cells.get(i);
            List<String> row = new ArrayList<>();
            row.add(Integer.toString(i + 1));
            row.add(cell.id());
            for (String column : spec.columns()) {
                Object v = cell.axes().get(column);
                row.add(v == null ? "-" : v.toString());
            }
            row.add(String.format(Locale.ROOT, "%.3g", cell.estimatedFlops() / 1e9));
            rows.add(row);
        }
        int[] widths = new int[header.size()];
        for (List<String> row : rows) {
            for (int j = 0; j < row.size(); j++) {
                widths[j] = Math.max(widths[j], row.get(j).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder(" ");
            for (int j = 0; j < row.size(); j++) {
                line.append(' ').append(String.format(Locale.ROOT, "%-" + widths[j] + "s", row.get(j)));
            }
            System.out.println(line.toString().stripTrailing());
        }
        if (cells.size() > SWEEP_ROWS) {
            System.out.printf(Locale.ROOT, "  ... and %d more cells%n", cells.size() - SWEEP_ROWS);
        }
        double total = spec.estimatedFlops();
        System.out.printf(Locale.ROOT, "~%.4g GFLOP in total (matrix products only; '-': axis ignored by the cell); "
                + "nothing was run%n", total / 1e9);
        return 0;
    }
}
