package dev.carousel.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import dev.carousel.data.Tasks;
import dev.carousel.nn.CellType;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;

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

    /** What a sweep name may hold: it names the output folder's sweep and appears in reports. */
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static final List<String> RUN_KEYS = ConfigLoader.keyPaths();
    private static final Config DEFAULT_VALUES = ConfigLoader.toConfig(ConfigLoader.fromConfig(ConfigFactory.empty()));

    private static final java.util.regex.Pattern LOCATED = java.util.regex.Pattern.compile("^(\\S+:\\d+(?:-\\d+)?): (.*)$");

    private final String origin;
    private final String name;
    private final EarlyStopping earlyStopping;
    private final List<String> columns;
    private final List<Cell> cells;
    private final int combinations;
    private final double targetLoss;

    private SweepSpec(String origin, String name, EarlyStopping earlyStopping, double targetLoss, List<String> columns,
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
        if (Files.isDirectory(file)) {
            throw new ConfigError(file + ": is a directory; expected a sweep spec file");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new ConfigError(file + ": sweep spec not found or not a readable file");
        }
        Config root;
        try {
            root = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
        } catch (ConfigException e) {
            throw typesafe(e);
        }
        Path dir = file.toAbsolutePath().getParent();
        for (Map.Entry<String, String> o : baseOverrides.entrySet()) {
            if (!RUN_KEYS.contains(o.getKey())) {
                throw new ConfigError("--set " + o.getKey() + ": not a run-config key"
                        + ConfigLoader.closestKey(o.getKey()).map(k -> " (did you mean " + k + "?)").orElse(""));
            }
            if (root.hasPath("base") && root.getValue("base").valueType() != ConfigValueType.OBJECT) {
                throw new ConfigError(file + ": --set needs base to be a section, not a file path");
            }
            ConfigValue v;
            try {
                v = ConfigFactory.parseString("v = " + o.getValue(),
                        ConfigParseOptions.defaults().setOriginDescription("--set " + o.getKey())).getValue("v");
            } catch (ConfigException e) {
                throw typesafe(e);
            }
            root = root.withValue("base." + o.getKey(), v);
            if (root.hasPath(FAST + ".base." + o.getKey())) {
                root = root.withValue(FAST + ".base." + o.getKey(), v);
            }
        }
        if (fast) {
            if (!root.hasPath(FAST)) {
                throw new ConfigError(file + ": no fast section; this spec has no fast version");
            }
            return build(fastVersion(root, file.toString()), dir, file.toString());
        }
        return build(root, dir, file.toString());
    }

    /** The spec with its {@code fast} section laid over it and {@code name} suffixed with {@code -fast}. */
    private static Config fastVersion(Config root, String origin) {
        ConfigValue f = root.root().get(FAST);
        if (!(f instanceof ConfigObject fo)) {
            throw new ConfigError(where(f) + ": fast = " + show(f) + ": wrong type; expected a section of sweep-spec "
                    + "keys (base, grid, random, seeds, cells, early-stopping)");
        }
        for (String key : sorted(fo.keySet())) {
            if (key.equals(FAST) || key.equals("name") || !TOP_LEVEL_KEYS.contains(key)) {
                throw new ConfigError(where(fo.get(key)) + ": fast." + key + ": not allowed in fast; expected base, grid, "
                        + "random, seeds, cells, early-stopping");
            }
        }
        String name = name(root.root().get("name"), origin) + "-" + FAST;
        return fo.toConfig().withFallback(root.withoutPath(FAST))
                .withValue("name", ConfigValueFactory.fromAnyRef(name, "fast version of " + origin));
    }

    /**
     * Parses spec text; {@code origin} (e.g. a file name) appears in errors, and a string {@code base} is relative
     * to its directory (the working directory if it names none).
     */
    public static SweepSpec parse(String hocon, String origin) {
        Config root;
        try {
            root = ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription(origin)).resolve();
        } catch (ConfigException e) {
            throw typesafe(e);
        }
        Path dir;
        try {
            dir = Path.of(origin).toAbsolutePath().getParent();
        } catch (InvalidPathException e) {
            dir = null;
        }
        return build(root, dir == null ? Path.of("").toAbsolutePath() : dir, origin);
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

    // ---- building ------------------------------------------------------------------------------------------

    private record Axis(String key, ConfigOrigin origin, String section) {}

    private sealed interface Distribution {
        ConfigValue draw(SplittableRandom rng, ConfigOrigin origin);
    }

    private record Continuous(boolean log, double min, double max, boolean integer) implements Distribution {
        public ConfigValue draw(SplittableRandom rng, ConfigOrigin origin) {
            double u = rng.nextDouble();
            double x = log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
            Object value = integer ? (Object) Math.round(x) : (Object) x;
            return ConfigValueFactory.fromAnyRef(value).withOrigin(origin);
        }
    }

    private record Choice(List<ConfigValue> values) implements Distribution {
        public ConfigValue draw(SplittableRandom rng, ConfigOrigin origin) {
            return values.get(rng.nextInt(values.size()));
        }
    }

    private static SweepSpec build(Config root, Path dir, String origin) {
        ConfigObject top = root.root();
        for (String name : sorted(top.keySet())) {
            if (!TOP_LEVEL_KEYS.contains(name)) {
                throw new ConfigError(where(top.get(name)) + ": " + name + ": unknown key of a sweep spec; expected "
                        + String.join(", ", TOP_LEVEL_KEYS));
            }
        }
        String sweepName = name(top.get("name"), origin);
        if (top.containsKey(FAST)) {
            build(fastVersion(root, origin), dir, origin); // the fast version is validated with the spec
        }
        EarlyStopping earlyStopping = top.containsKey("early-stopping")
                ? earlyStopping(top.get("early-stopping")) : EarlyStopping.OFF;
        double targetLoss = Double.NaN;
        if (top.containsKey("target-loss")) {
            targetLoss = number(top.get("target-loss"), "target-loss");
            if (!(targetLoss > 0)) {
                throw new ConfigError(where(top.get("target-loss")) + ": target-loss = " + show(top.get("target-loss"))
                        + ": expected a number > 0");
            }
        }
        Config base = base(top.get("base"), dir);
        Map<String, Axis> axes = new LinkedHashMap<>();

        boolean hasSeeds = top.containsKey("seeds");
        List<ConfigValue> seeds = hasSeeds ? seeds(top.get("seeds")) : List.of();
        if (hasSeeds) {
            register(axes, new Axis("seed", top.get("seeds").origin(), "seeds"));
        }

        Map<String, List<ConfigValue>> grid = new TreeMap<>(Comparator.comparingInt(RUN_KEYS::indexOf));
        if (top.containsKey("grid")) {
            ConfigValue g = top.get("grid");
            if (!(g instanceof ConfigObject gridObject)) {
                throw new ConfigError(where(g) + ": grid = " + show(g) + ": wrong type; expected a section of axes, "
                        + "run-config key = [values]");
            }
            flattenGrid(gridObject, "", axes, grid);
            if (grid.isEmpty()) {
                // Without this, an empty grid would silently mean "the base alone", one cell.
                throw new ConfigError(where(g) + ": grid = {}: empty grid; expected at least one axis, "
                        + "run-config key = [values] (or leave grid out to run the base alone)");
            }
        }

        int count = 1;
        long randomSeed = 0;
        Map<String, Distribution> random = new TreeMap<>(Comparator.comparingInt(RUN_KEYS::indexOf));
        Map<String, ConfigOrigin> randomOrigins = new LinkedHashMap<>();
        if (top.containsKey("random")) {
            ConfigValue r = top.get("random");
            if (!(r instanceof ConfigObject ro)) {
                throw new ConfigError(where(r) + ": random = " + show(r) + ": wrong type; expected a section with "
                        + "count, seed, axes");
            }
            for (String name : sorted(ro.keySet())) {
                if (!List.of("count", "seed", "axes").contains(name)) {
                    throw new ConfigError(where(ro.get(name)) + ": random." + name + ": unknown key; expected count, seed, axes");
                }
            }
            if (!ro.containsKey("count")) {
                throw new ConfigError(where(r) + ": random.count: missing; expected an integer >= 1 (points to draw)");
            }
            count = (int) integer(ro.get("count"), "random.count", 1, 1_000_000);
            if (ro.containsKey("seed")) {
                randomSeed = integer(ro.get("seed"), "random.seed", Long.MIN_VALUE, Long.MAX_VALUE);
            }
            ConfigValue a = ro.get("axes");
            if (!(a instanceof ConfigObject ao) || ao.isEmpty()) {
                throw new ConfigError(where(a == null ? r : a) + ": random.axes: "
                        + (a == null ? "missing" : "= " + show(a)) + "; expected a non-empty section, run-config key = "
                        + "{ distribution = uniform | log-uniform | choice, ... }");
            }
            flattenRandom(ao, "", axes, random, randomOrigins);
        }

        List<Map<String, ConfigValue>> explicit = new ArrayList<>();
        List<String> explicitKeys = new ArrayList<>();
        if (top.containsKey("cells")) {
            ConfigValue c = top.get("cells");
            if (!(c instanceof ConfigList list)) {
                throw new ConfigError(where(c) + ": cells = " + show(c) + ": wrong type; expected a list of sections "
                        + "of run-config keys");
            }
            if (list.isEmpty()) {
                throw new ConfigError(where(c) + ": cells = []: empty list; expected at least one section of "
                        + "run-config keys (or leave cells out)");
            }
            for (int i = 0; i < list.size(); i++) {
                ConfigValue entry = list.get(i);
                if (!(entry instanceof ConfigObject eo)) {
                    throw new ConfigError(where(entry) + ": cells[" + i + "] = " + show(entry)
                            + ": wrong type; expected a section of run-config keys");
                }
                Map<String, ConfigValue> cell = new TreeMap<>(Comparator.comparingInt(RUN_KEYS::indexOf));
                flattenCell(eo, "", "cells[" + i + "]", cell);
                for (String key : cell.keySet()) {
                    Axis other = axes.get(key);
                    if (other != null && !other.section().equals("grid")) {
                        throw new ConfigError(where(cell.get(key)) + ": cells[" + i + "]." + key + ": duplicate axis; "
                                + key + " is already set by " + other.section() + " (" + where(other.origin()) + ")");
                    }
                    if (!explicitKeys.contains(key)) {
                        explicitKeys.add(key);
                    }
                }
                explicit.add(cell);
            }
        }

        // Columns: every axis key in defaults order, the replicate seed last.
        List<String> columns = new ArrayList<>();
        for (String key : RUN_KEYS) {
            boolean isAxis = grid.containsKey(key) || random.containsKey(key) || explicitKeys.contains(key);
            if (isAxis && !(hasSeeds && key.equals("seed"))) {
                columns.add(key);
            }
        }
        if (hasSeeds) {
            columns.add("seed");
        }

        // Variants: grid combinations (first axis slowest), then explicit cells.
        List<Map<String, ConfigValue>> variants = new ArrayList<>();
        if (top.containsKey("grid") || explicit.isEmpty()) {
            variants.add(new LinkedHashMap<>());
            for (Map.Entry<String, List<ConfigValue>> axis : grid.entrySet()) {
                List<Map<String, ConfigValue>> next = new ArrayList<>();
                for (Map<String, ConfigValue> v : variants) {
                    for (ConfigValue value : axis.getValue()) {
                        Map<String, ConfigValue> w = new LinkedHashMap<>(v);
                        w.put(axis.getKey(), value);
                        next.add(w);
                    }
                }
                variants = next;
            }
        }
        variants.addAll(explicit);

        List<Map<String, ConfigValue>> draws = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, ConfigValue> draw = new LinkedHashMap<>();
            for (Map.Entry<String, Distribution> axis : random.entrySet()) {
                SplittableRandom rng = new SplittableRandom(drawSeed(randomSeed, axis.getKey(), i));
                draw.put(axis.getKey(), axis.getValue().draw(rng, randomOrigins.get(axis.getKey())));
            }
            draws.add(draw);
        }

        Map<String, Cell> byId = new LinkedHashMap<>();
        int combinations = 0;
        for (Map<String, ConfigValue> variant : variants) {
            for (Map<String, ConfigValue> draw : draws) {
                for (ConfigValue seed : hasSeeds ? seeds : Collections.<ConfigValue>singletonList(null)) {
                    Map<String, ConfigValue> requested = new LinkedHashMap<>(variant);
                    requested.putAll(draw);
                    if (seed != null) {
                        requested.put("seed", seed);
                    }
                    CarouselConfig config = resolve(base, requested);
                    combinations++;
                    String id = ConfigLoader.hash(config);
                    if (!byId.containsKey(id)) {
                        byId.put(id, new Cell(id, config, axisValues(columns, config)));
                    }
                }
            }
        }
        return new SweepSpec(origin, sweepName, earlyStopping, targetLoss, columns, new ArrayList<>(byId.values()),
                combinations);
    }

    /** The {@code early-stopping} section: rule = none | median, grace-updates (default 0), min-cells (default 3). */
    private static EarlyStopping earlyStopping(ConfigValue value) {
        List<String> keys = List.of("rule", "grace-updates", "min-cells");
        if (!(value instanceof ConfigObject o)) {
            throw new ConfigError(where(value) + ": early-stopping = " + show(value) + ": wrong type; expected a section "
                    + "{ rule = none | median, grace-updates = N, min-cells = M }");
        }
        for (String key : sorted(o.keySet())) {
            if (!keys.contains(key)) {
                throw new ConfigError(where(o.get(key)) + ": early-stopping." + key + ": unknown key; expected "
                        + String.join(", ", keys));
            }
        }
        ConfigValue rule = o.get("rule");
        if (rule == null || !List.of("none", "median").contains(String.valueOf(rule.unwrapped()))) {
            throw new ConfigError(where(rule == null ? value : rule) + ": early-stopping.rule"
                    + (rule == null ? ": missing" : " = " + show(rule)) + "; expected none or median");
        }
        long grace = o.containsKey("grace-updates")
                ? integer(o.get("grace-updates"), "early-stopping.grace-updates", 0, Long.MAX_VALUE) : 0;
        int minCells = o.containsKey("min-cells")
                ? (int) integer(o.get("min-cells"), "early-stopping.min-cells", 1, 1_000_000) : 3;
        return rule.unwrapped().equals("median") ? new EarlyStopping(true, grace, minCells) : EarlyStopping.OFF;
    }

    /** {@code name}, or the origin's file name without its extension. */
    private static String name(ConfigValue value, String origin) {
        String name;
        if (value != null) {
            if (value.valueType() != ConfigValueType.STRING) {
                throw new ConfigError(where(value) + ": name = " + show(value) + ": wrong type; expected a string of "
                        + "letters, digits, '.', '_' and '-'");
            }
            name = (String) value.unwrapped();
        } else {
            String file = origin.replaceAll("^.*[/\\\\]", "");
            name = file.replaceFirst("\\.conf$", "").replaceAll("[^A-Za-z0-9._-]", "-");
        }
        if (!NAME.matcher(name).matches()) {
            throw new ConfigError((value == null ? origin : where(value)) + ": name = \"" + name + "\": expected 1-64 "
                    + "letters, digits, '.', '_' and '-', starting with a letter or digit");
        }
        return name;
    }

    /** The resolved config of one combination; an RNN cell drops the forget-gate keys. */
    private static CarouselConfig resolve(Config base, Map<String, ConfigValue> requested) {
        try {
            Config user = base;
            for (Map.Entry<String, ConfigValue> e : requested.entrySet()) {
                user = user.withValue(e.getKey(), e.getValue());
            }
            CarouselConfig withoutGate = ConfigLoader.fromConfig(user.withoutPath("model.forget-gate"));
            if (withoutGate.model().cell() == CellType.RNN) {
                return withoutGate;
            }
            return ConfigLoader.fromConfig(user);
        } catch (ConfigError | ConfigException e) {
            String label = requested.entrySet().stream()
                    .map(x -> x.getKey() + "=" + x.getValue().unwrapped()).collect(Collectors.joining(", "));
            String message = e instanceof ConfigException ce ? typesafe(ce).getMessage() : e.getMessage();
            // file:line stays first, as in every other error: "spec.conf:4: cell {…}: model.hidden = 0: …".
            java.util.regex.Matcher m = LOCATED.matcher(message);
            throw new ConfigError(m.matches()
                    ? m.group(1) + ": cell {" + label + "}: " + m.group(2)
                    : "cell {" + label + "}: " + message, e);
        }
    }

    private static Map<String, Object> axisValues(List<String> columns, CarouselConfig config) {
        Config explicit = ConfigLoader.toConfig(config);
        Map<String, Object> values = new LinkedHashMap<>();
        for (String key : columns) {
            if (!ignored(key, config)) {
                values.put(key, explicit.getValue(key).unwrapped());
            }
        }
        return values;
    }

    /** Whether {@code config} ignores {@code key}: forget-gate keys of an RNN, and those of unselected gate modes. */
    static boolean ignored(String key, CarouselConfig config) {
        if (!key.startsWith("model.forget-gate.")) {
            return false;
        }
        if (config.model().cell() == CellType.RNN) {
            return true;
        }
        String mode = config.model().forgetGate().mode();
        return switch (key) {
            case "model.forget-gate.bias" -> !mode.equals("learned");
            case "model.forget-gate.tmax" -> !mode.equals("chrono");
            case "model.forget-gate.value" -> !mode.equals("fixed");
            default -> false;
        };
    }

    private static Config base(ConfigValue value, Path dir) {
        if (value == null) {
            return ConfigFactory.empty();
        }
        if (value instanceof ConfigObject object) {
            return object.toConfig();
        }
        if (value.valueType() == ConfigValueType.STRING) {
            String name = (String) value.unwrapped();
            Path file;
            try {
                file = dir.resolve(name);
            } catch (InvalidPathException e) {
                throw new ConfigError(where(value) + ": base = " + show(value) + ": not a valid path");
            }
            if (Files.isDirectory(file)) {
                throw new ConfigError(where(value) + ": base = " + show(value) + ": " + file.normalize()
                        + " is a directory; expected a run-config file (relative to the spec's directory)");
            }
            if (!Files.exists(file)) {
                throw new ConfigError(where(value) + ": base = " + show(value) + ": base file " + file.normalize()
                        + " not found; expected a run-config file (relative to the spec's directory)");
            }
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new ConfigError(where(value) + ": base = " + show(value) + ": base file " + file.normalize()
                        + " is not readable; expected a run-config file this user can read");
            }
            try {
                return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw typesafe(e);
            }
        }
        throw new ConfigError(where(value) + ": base = " + show(value) + ": wrong type; expected a section of "
                + "run-config keys or the path of a run-config file");
    }

    private static List<ConfigValue> seeds(ConfigValue value) {
        if (!(value instanceof ConfigList list) || list.isEmpty()) {
            throw new ConfigError(where(value) + ": seeds = " + show(value) + ": expected a non-empty list of integers");
        }
        for (ConfigValue v : list) {
            integer(v, "seeds", Long.MIN_VALUE, Long.MAX_VALUE);
        }
        return List.copyOf(list);
    }

    private static void flattenGrid(ConfigObject object, String prefix, Map<String, Axis> axes,
                                    Map<String, List<ConfigValue>> grid) {
        for (String name : sorted(object.keySet())) {
            String key = prefix + name;
            ConfigValue value = object.get(name);
            if (value instanceof ConfigObject nested && !RUN_KEYS.contains(key)) {
                flattenGrid(nested, key + ".", axes, grid);
                continue;
            }
            checkRunKey(value, "grid." + key, key);
            if (!(value instanceof ConfigList list)) {
                throw new ConfigError(where(value) + ": grid." + key + " = " + show(value)
                        + ": wrong type; expected a non-empty list of values");
            }
            if (list.isEmpty()) {
                throw new ConfigError(where(value) + ": grid." + key + " = []: empty axis; expected at least one value");
            }
            for (ConfigValue v : list) {
                scalar(v, "grid." + key);
            }
            register(axes, new Axis(key, value.origin(), "grid"));
            grid.put(key, List.copyOf(list));
        }
    }

    private static void flattenRandom(ConfigObject object, String prefix, Map<String, Axis> axes,
                                      Map<String, Distribution> random, Map<String, ConfigOrigin> origins) {
        for (String name : sorted(object.keySet())) {
            String key = prefix + name;
            ConfigValue value = object.get(name);
            if (value instanceof ConfigObject nested && !nested.containsKey("distribution") && !RUN_KEYS.contains(key)) {
                flattenRandom(nested, key + ".", axes, random, origins);
                continue;
            }
            String where = "random.axes." + key;
            checkRunKey(value, where, key);
            if (!(value instanceof ConfigObject spec) || !spec.containsKey("distribution")) {
                throw new ConfigError(where(value) + ": " + where + " = " + show(value) + ": expected "
                        + "{ distribution = uniform | log-uniform | choice, ... }");
            }
            register(axes, new Axis(key, value.origin(), "random"));
            random.put(key, distribution(spec, where, key));
            origins.put(key, value.origin());
        }
    }

    private static Distribution distribution(ConfigObject spec, String where, String key) {
        ConfigValue d = spec.get("distribution");
        String kind = d.valueType() == ConfigValueType.STRING ? (String) d.unwrapped() : "";
        List<String> params = switch (kind) {
            case "uniform", "log-uniform" -> List.of("distribution", "min", "max");
            case "choice" -> List.of("distribution", "values");
            default -> throw new ConfigError(where(d) + ": " + where + ".distribution = " + show(d)
                    + ": unknown distribution; expected uniform, log-uniform or choice");
        };
        for (String name : sorted(spec.keySet())) {
            if (!params.contains(name)) {
                throw new ConfigError(where(spec.get(name)) + ": " + where + "." + name + ": unknown parameter of "
                        + kind + "; expected " + String.join(", ", params.subList(1, params.size())));
            }
        }
        for (String name : params) {
            if (!spec.containsKey(name)) {
                throw new ConfigError(where(spec) + ": " + where + "." + name + ": missing; " + kind + " needs "
                        + String.join(", ", params.subList(1, params.size())));
            }
        }
        if (kind.equals("choice")) {
            ConfigValue v = spec.get("values");
            if (!(v instanceof ConfigList list) || list.isEmpty()) {
                throw new ConfigError(where(v) + ": " + where + ".values = " + show(v)
                        + ": expected a non-empty list of values");
            }
            for (ConfigValue x : list) {
                scalar(x, where + ".values");
            }
            return new Choice(List.copyOf(list));
        }
        ConfigValue defaultValue = DEFAULT_VALUES.getValue(key);
        if (defaultValue.valueType() != ConfigValueType.NUMBER) {
            throw new ConfigError(where(d) + ": " + where + ".distribution = " + kind + ": " + key
                    + " is not numeric; use distribution = choice");
        }
        double min = number(spec.get("min"), where + ".min");
        double max = number(spec.get("max"), where + ".max");
        if (!(min < max)) {
            throw new ConfigError(where(spec.get("max")) + ": " + where + ": min = " + min + ", max = " + max
                    + ": expected min < max");
        }
        if (kind.equals("log-uniform") && !(min > 0)) {
            throw new ConfigError(where(spec.get("min")) + ": " + where + ".min = " + min
                    + ": log-uniform needs 0 < min < max");
        }
        Object unwrapped = defaultValue.unwrapped();
        boolean integer = unwrapped instanceof Integer || unwrapped instanceof Long;
        return new Continuous(kind.equals("log-uniform"), min, max, integer);
    }

    private static void flattenCell(ConfigObject object, String prefix, String where, Map<String, ConfigValue> cell) {
        for (String name : sorted(object.keySet())) {
            String key = prefix + name;
            ConfigValue value = object.get(name);
            if (value instanceof ConfigObject nested && !RUN_KEYS.contains(key)) {
                flattenCell(nested, key + ".", where, cell);
                continue;
            }
            checkRunKey(value, where + "." + key, key);
            scalar(value, where + "." + key);
            if (cell.containsKey(key)) {
                throw new ConfigError(where(value) + ": " + where + "." + key + ": set twice");
            }
            cell.put(key, value);
        }
    }

    private static void register(Map<String, Axis> axes, Axis axis) {
        Axis other = axes.get(axis.key());
        if (other != null) {
            throw new ConfigError(where(axis.origin()) + ": " + axis.section() + "." + axis.key()
                    + ": duplicate axis; " + axis.key() + " is already an axis in " + other.section() + " ("
                    + where(other.origin()) + ")");
        }
        axes.put(axis.key(), axis);
    }

    private static void checkRunKey(ConfigValue value, String where, String key) {
        if (!RUN_KEYS.contains(key)) {
            String hint = ConfigLoader.closestKey(key).map(k -> "; did you mean " + k + "?")
                    .orElse("; axes are run-config keys such as model.hidden (see carousel-defaults.conf)");
            throw new ConfigError(where(value) + ": " + where + ": " + key + " is not a run-config key" + hint);
        }
    }

    private static void scalar(ConfigValue value, String where) {
        ConfigValueType t = value.valueType();
        if (t == ConfigValueType.OBJECT || t == ConfigValueType.LIST || t == ConfigValueType.NULL) {
            throw new ConfigError(where(value) + ": " + where + " = " + show(value)
                    + ": wrong type; expected a number, string or boolean");
        }
    }

    private static long integer(ConfigValue value, String where, long lo, long hi) {
        Object u = value.unwrapped();
        if (!(u instanceof Integer || u instanceof Long) || ((Number) u).longValue() < lo || ((Number) u).longValue() > hi) {
            throw new ConfigError(where(value) + ": " + where + " = " + show(value) + ": expected an integer"
                    + (lo == Long.MIN_VALUE ? "" : " in [" + lo + ", " + hi + "]"));
        }
        return ((Number) u).longValue();
    }

    private static double number(ConfigValue value, String where) {
        if (!(value.unwrapped() instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw new ConfigError(where(value) + ": " + where + " = " + show(value) + ": expected a finite number");
        }
        return n.doubleValue();
    }

    /** Seed of draw {@code index} of axis {@code key}: a function of (seed, key, index) only. */
    private static long drawSeed(long seed, String key, int index) {
        long h = seed;
        for (int i = 0; i < key.length(); i++) {
            h = h * 0x100000001B3L + key.charAt(i);
        }
        return (h * 0x9E3779B97F4A7C15L) ^ (index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL);
    }

    private static List<String> sorted(java.util.Collection<String> names) {
        return names.stream().sorted().toList();
    }

    private static String where(ConfigValue value) {
        return where(value.origin());
    }

    /** An origin as {@code file:line}, as {@link ConfigLoader} writes it. */
    private static String where(ConfigOrigin origin) {
        return origin.description().replaceFirst(": (\\d+(?:-\\d+)?)$", ":$1");
    }

    private static ConfigError typesafe(ConfigException e) {
        String message = ConfigError.typesafeMessage(e);
        String what = e instanceof ConfigException.Parse ? "syntax error: " : ""; // as ConfigLoader says it
        if (e.origin() != null) {
            return new ConfigError(where(e.origin()) + ": " + what + message, e);
        }
        return new ConfigError(what + message, e);
    }

    private static String show(ConfigValue value) {
        String text = value.render(ConfigRenderOptions.concise());
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
