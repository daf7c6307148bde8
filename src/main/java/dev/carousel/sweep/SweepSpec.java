package dev.carousel.sweep;

import com.typesafe.config.Config;
import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import dev.carousel.data.Tasks;
import dev.carousel.store.Storage;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;

/**
 * A sweep spec (HOCON, e.g. {@code conf/sweeps/forget-gate.conf}) parsed, validated and expanded into its
 * {@link Cell}s. Immutable; every problem is a one-line {@link ConfigError} naming file:line and the key.
 *
 * <h2>Top-level keys</h2>
 * Only {@code name}, {@code base}, {@code grid}, {@code random}, {@code seeds}, {@code cells},
 * {@code early-stopping}, {@code target-loss} and {@code fast}; any other is an error.
 * <ul>
 *   <li>{@code name}: the sweep's name (letters, digits, '.', '_', '-'); default: the spec file's name without
 *       {@code .conf}. An output folder holds the results of one named sweep.</li>
 *   <li>{@code base}: the run config every cell starts from: a section of run-config keys, or a string, the path
 *       of a run-config file relative to the directory of the spec file. Absent: the defaults.</li>
 *   <li>{@code grid}: at least one axis, run-config key to a non-empty list of values; every combination is a
 *       variant. Keys may
 *       be quoted ({@code "model.cell" = [lstm, rnn]}) or nested ({@code model { cell = [lstm, rnn] }}).</li>
 *   <li>{@code random { count = N, seed = S, axes { KEY = { distribution = ..., ... } } }}: N points drawn
 *       in the space of the random axes ({@code seed} defaults to 0). Distributions: {@code uniform} (min &lt; max),
 *       {@code log-uniform} (0 &lt; min &lt; max), both only for numeric keys and rounded to the nearest integer for
 *       integer keys; {@code choice} ({@code values}, a non-empty list). Draw i of axis K depends only on (S, K,
 *       i): adding an axis or raising N keeps the earlier draws. The same N points are used for every variant
 *       (common random numbers), so variants are compared at equal random settings.</li>
 *   <li>{@code seeds}: replicate seeds, a non-empty list of integers; every cell is run once per seed (it sets
 *       the run-config key {@code seed}).</li>
 *   <li>{@code cells}: a non-empty list of explicit variants, each a section of run-config keys, added after the grid's
 *       combinations; crossed with the random points and seeds but not with the grid.</li>
 *   <li>{@code early-stopping { rule = none | median, grace-updates = G, min-cells = M }}: see
 *       {@link EarlyStopping}; off when absent.</li>
 *   <li>{@code target-loss}: the validation loss a cell must get below to count as having learned the task (the
 *       {@code updates_to_target} column), a number &gt; 0; default: the task's own (adding: 0.05, the literature's
 *       threshold; otherwise 0.3 × its trivial baseline), none for a file dataset.</li>
 *   <li>{@code fast { ... }}: a cheaper version of the same sweep ({@code carousel sweep SPEC --fast},
 *       {@code carousel experiment NAME --fast}): any of the keys above but {@code name} and {@code fast}, laid over the
 *       spec ({@code load(file, true)}): sections merge key by key, lists and values replace. The fast version
 *       is named {@code NAME-fast} and validated whenever the spec is; a plain load ignores it.</li>
 * </ul>
 * A key may be an axis once: the same key twice in {@code grid}, in both {@code grid} and {@code random}, or
 * {@code seed} in either while {@code seeds} is given, is an error; so is an explicit cell setting a random
 * axis or (with {@code seeds}) {@code seed}. Axis keys must be run-config keys ({@link ConfigLoader#keyPaths}).
 *
 * <h2>Cells and their order</h2>
 * The variants are the grid's combinations followed by the explicit cells (with no {@code grid}: the explicit
 * cells only; with neither: the base alone). Axes are ordered as the keys of {@code carousel-defaults.conf}
 * (never by HOCON's unordered maps), the first axis varying slowest and list values in the order written.
 * Every variant is crossed with the random points (in draw order) and then the seeds (fastest), each combination
 * layered as {@code base < variant < random draw < seed} over the defaults and validated by {@link ConfigLoader};
 * a failure names the cell by its axis values. A cell whose {@code model.cell} is {@code rnn} drops every
 * {@code model.forget-gate} key (base's included), since the RNN has no forget gate. Cells are identified by
 * {@link ConfigLoader#hash}, and combinations resolving to the same config (RNN over forget-gate values; a
 * forget bias under mode = chrono) are kept once, at their first position. Hence ids do not depend on the rest of
 * the spec, and adding an axis value adds cells without changing the ids of the others.
 *
 * <p>The columns ({@link #columns}) are every grid, explicit-cell and random key in defaults order, then
 * {@code seed} when {@code seeds} is given; each {@link Cell#axes} holds their resolved values, leaving out the
 * axes its config ignores.
 */
public final class SweepSpec {

    /** The keys of a sweep spec; a file with any of them is a sweep spec, not a run config. */
    public static final List<String> TOP_LEVEL_KEYS =
            List.of("name", "base", "grid", "random", "seeds", "cells", "early-stopping", "target-loss", "fast");

    /** The key of the fast version's overrides, and the suffix of its name. */
    public static final String FAST = "fast";

    private final String origin;
    private final String name;
    private final EarlyStopping earlyStopping;
    private final List<String> columns;
    private final List<Cell> cells;
    private final int combinations;
    private final double targetLoss;

    /** A spec as {@link SweepSpecExpander} expands it; {@code targetLoss} is NaN when the spec does not set it. */
    SweepSpec(String origin, String name, EarlyStopping earlyStopping, double targetLoss, List<String> columns,
              List<Cell> cells, int combinations) {
        this.origin = origin;
        this.name = name;
        this.earlyStopping = earlyStopping;
        this.targetLoss = targetLoss;
        this.columns = List.copyOf(columns);
        this.cells = List.copyOf(cells);
        this.combinations = combinations;
    }

    /** Reads and expands the spec in {@code file}; a string {@code base} is relative to its directory. */
    public static SweepSpec load(Path file) {
        return load(file, false);
    }

    /**
     * Reads and expands the spec in {@code file}, or with {@code fast} its {@code fast} version (the spec's
     * {@code fast} section laid over it, named {@code <name>-fast}).
     */
    public static SweepSpec load(Path file, boolean fast) {
        return load(file, fast, Map.of());
    }

    /**
     * As {@link #load(Path, boolean)}, with {@code baseOverrides} (run-config key to a HOCON value, as
     * {@code --set key=value}) laid over the spec's {@code base} section, e.g. {@code distributed.partitions = 2}.
     */
    public static SweepSpec load(Path file, boolean fast, Map<String, String> baseOverrides) {
        Objects.requireNonNull(file, "file");
        Config root = SweepSpecParser.read(file, baseOverrides);
        Path dir = file.toAbsolutePath().getParent();
        String origin = file.toString();
        return build(fast ? SweepSpecParser.fast(root, origin) : root, SweepSpecParser.BaseFiles.local(dir), origin);
    }

    /**
     * Expands the spec at {@code uri} on a Hadoop file system (a cluster driver has no copy of the submitting
     * machine's files), given its {@code text} as read from there, or its fast version; a string {@code base} is
     * read from the spec's directory there.
     */
    public static SweepSpec load(org.apache.hadoop.fs.Path uri, String text, boolean fast, Configuration conf) {
        String origin = uri.toString();
        Config root = SweepSpecParser.read(text, origin);
        SweepSpecParser.BaseFiles dir = (where, name) -> {
            org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(uri.getParent(), name);
            return SweepSpecParser.parseBase(Storage.readText(file, "base = \"" + name + "\": base file",
                    "a run-config file (relative to the spec's directory)", conf), file.toString());
        };
        return build(fast ? SweepSpecParser.fast(root, origin) : root, dir, origin);
    }

    /**
     * Parses spec text; {@code origin} (e.g. a file name) appears in errors, and a string {@code base} is relative
     * to its directory (the working directory if it names none).
     */
    public static SweepSpec parse(String hocon, String origin) {
        Config root = SweepSpecParser.read(hocon, origin);
        Path dir;
        try {
            dir = Path.of(origin).toAbsolutePath().getParent();
        } catch (InvalidPathException e) {
            dir = null;
        }
        return build(root, SweepSpecParser.BaseFiles.local(dir == null ? Path.of("").toAbsolutePath() : dir), origin);
    }

    private static SweepSpec build(Config root, SweepSpecParser.BaseFiles dir, String origin) {
        return SweepSpecExpander.expand(SweepSpecParser.parse(root, dir, origin));
    }

    /** Whether a parsed file is a sweep spec: it has one of {@link #TOP_LEVEL_KEYS}. */
    public static boolean isSweepSpec(Config root) {
        return TOP_LEVEL_KEYS.stream().anyMatch(root.root()::containsKey);
    }

    /** Where the spec came from (its file name or origin description). */
    public String origin() {
        return origin;
    }

    /**
     * The sweep's name: {@code name} in the spec, else the spec file's name without {@code .conf}. An output folder
     * holds one sweep, identified by this name.
     */
    public String name() {
        return name;
    }

    /** The early-stopping rule of {@code early-stopping} ({@link EarlyStopping#OFF} when absent). */
    public EarlyStopping earlyStopping() {
        return earlyStopping;
    }

    /**
     * The target loss of {@code cell}: {@code target-loss} if the spec sets it, else its task's
     * {@link dev.carousel.data.SequenceTask#targetLoss()} for generated data, else NaN (none).
     */
    public double targetLoss(CarouselConfig cell) {
        if (!Double.isNaN(targetLoss)) {
            return targetLoss;
        }
        return cell.data().isGenerated()
                ? Tasks.create(cell.task().name(), cell.task().length()).targetLoss() : Double.NaN;
    }

    /** The axis keys, in column order (see the class comment). */
    public List<String> columns() {
        return columns;
    }

    /** The distinct cells, in the deterministic order of the class comment. */
    public List<Cell> cells() {
        return cells;
    }

    /** How many combinations the spec names before de-duplication (≥ {@code cells().size()}). */
    public int combinations() {
        return combinations;
    }

    /** Estimated FLOPs of every cell together ({@link CostEstimate}); NaN if any cell trains on a file dataset. */
    public double estimatedFlops() {
        return cells.stream().mapToDouble(Cell::estimatedFlops).sum();
    }
}
