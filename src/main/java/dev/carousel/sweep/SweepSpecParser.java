package dev.carousel.sweep;

import static dev.carousel.sweep.SpecValues.RUN_KEYS;
import static dev.carousel.sweep.SpecValues.checkRunKey;
import static dev.carousel.sweep.SpecValues.integer;
import static dev.carousel.sweep.SpecValues.number;
import static dev.carousel.sweep.SpecValues.scalar;
import static dev.carousel.config.ConfigError.show;
import static dev.carousel.sweep.SpecValues.sorted;
import static dev.carousel.sweep.SpecValues.typesafe;
import static dev.carousel.sweep.SpecValues.where;
import static dev.carousel.sweep.SweepSpec.FAST;
import static dev.carousel.sweep.SweepSpec.TOP_LEVEL_KEYS;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Reads a sweep spec's HOCON into its validated parts ({@link Parsed}): name, early stopping, target loss, base,
 * seeds, grid, random axes and explicit cells. Every problem is a one-line {@link ConfigError} naming file:line
 * and the key; the checks run in a fixed order (top-level keys, name, the fast version, early stopping, target
 * loss, base, seeds, grid, random, cells), so a spec with several problems always reports the same one.
 * {@link SweepSpecExpander} turns the parts into cells.
 */
final class SweepSpecParser {

    /** What a sweep name may hold: it names the output folder's sweep and appears in reports. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private SweepSpecParser() {}

    /**
     * A validated spec, before expansion.
     *
     * @param hasGrid   whether the spec has a {@code grid} section
     * @param grid      grid axis key to its values, keys in defaults order
     * @param hasSeeds  whether the spec has {@code seeds}
     * @param seeds     the replicate seeds as written; empty without {@code seeds}
     * @param random    the random axes; no axes and a count of 1 without {@code random}
     * @param explicit  the explicit cells, each run-config key to value, keys in defaults order
     * @param explicitKeys every key an explicit cell sets, in order of first appearance
     */
    record Parsed(String origin, String name, EarlyStopping earlyStopping, double targetLoss, Config base,
                  boolean hasGrid, Map<String, List<ConfigValue>> grid, boolean hasSeeds, List<ConfigValue> seeds,
                  RandomAxes random, List<Map<String, ConfigValue>> explicit, List<String> explicitKeys) {}

    /**
     * The {@code random} section: {@code count} points drawn with {@code seed}, each axis key (defaults order) with
     * its distribution and where the spec names it.
     */
    record RandomAxes(int count, long seed, Map<String, Distribution> axes, Map<String, ConfigOrigin> origins) {}

    /** Where a key became an axis, for the message when it is named again. */
    private record Axis(String key, ConfigOrigin origin, String section) {}

    /**
     * The spec in {@code file}, with {@code baseOverrides} (run-config key to a HOCON value) laid over its
     * {@code base} section and its {@code fast} section's {@code base}, if that sets the key too.
     */
    static Config read(Path file, Map<String, String> baseOverrides) {
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
        for (Map.Entry<String, String> o : baseOverrides.entrySet()) {
            root = override(root, file, o.getKey(), o.getValue());
        }
        return root;
    }

    private static Config override(Config root, Path file, String key, String text) {
        if (!RUN_KEYS.contains(key)) {
            throw new ConfigError("--set " + key + ": not a run-config key"
                    + ConfigLoader.closestKey(key).map(k -> " (did you mean " + k + "?)").orElse(""));
        }
        if (root.hasPath("base") && root.getValue("base").valueType() != ConfigValueType.OBJECT) {
            throw new ConfigError(file + ": --set needs base to be a section, not a file path");
        }
        ConfigValue v;
        try {
            v = ConfigFactory.parseString("v = " + text,
                    ConfigParseOptions.defaults().setOriginDescription("--set " + key)).getValue("v");
        } catch (ConfigException e) {
            throw typesafe(e);
        }
        Config result = root.withValue("base." + key, v);
        if (result.hasPath(FAST + ".base." + key)) {
            result = result.withValue(FAST + ".base." + key, v);
        }
        return result;
    }

    /** Parses spec text; {@code origin} (e.g. a file name) appears in errors. */
    static Config read(String hocon, String origin) {
        try {
            return ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription(origin)).resolve();
        } catch (ConfigException e) {
            throw typesafe(e);
        }
    }

    /** The spec's fast version, or an error naming {@code origin} if it has none. */
    static Config fast(Config root, String origin) {
        if (!root.hasPath(FAST)) {
            throw new ConfigError(origin + ": no fast section; this spec has no fast version");
        }
        return fastVersion(root, origin);
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
     * Where a string {@code base} is read from: the directory of the spec, on the local disk or on a Hadoop file
     * system. {@link #read} returns the named run-config file's HOCON or throws a {@link ConfigError} naming
     * {@code where} when it is not a readable file.
     */
    interface BaseFiles {
        Config read(ConfigValue where, String name);

        /** Base files relative to a local directory. */
        static BaseFiles local(Path dir) {
            return (where, name) -> localBase(where, name, dir);
        }
    }

    /**
     * Validates {@code root}; a string {@code base} is read through {@code dir}. A {@code fast} section is
     * validated here too, by building the fast version whole.
     */
    static Parsed parse(Config root, BaseFiles dir, String origin) {
        ConfigObject top = root.root();
        for (String name : sorted(top.keySet())) {
            if (!TOP_LEVEL_KEYS.contains(name)) {
                throw new ConfigError(where(top.get(name)) + ": " + name + ": unknown key of a sweep spec; expected "
                        + String.join(", ", TOP_LEVEL_KEYS));
            }
        }
        String sweepName = name(top.get("name"), origin);
        if (top.containsKey(FAST)) {
            SweepSpecExpander.expand(parse(fastVersion(root, origin), dir, origin)); // validated with the spec
        }
        EarlyStopping earlyStopping = top.containsKey("early-stopping")
                ? earlyStopping(top.get("early-stopping")) : EarlyStopping.OFF;
        double targetLoss = top.containsKey("target-loss") ? targetLoss(top.get("target-loss")) : Double.NaN;
        Config base = base(top.get("base"), dir);
        Map<String, Axis> axes = new LinkedHashMap<>();
        boolean hasSeeds = top.containsKey("seeds");
        List<ConfigValue> seeds = hasSeeds ? seeds(top.get("seeds")) : List.of();
        if (hasSeeds) {
            register(axes, new Axis("seed", top.get("seeds").origin(), "seeds"));
        }
        Map<String, List<ConfigValue>> grid = top.containsKey("grid") ? grid(top.get("grid"), axes) : inDefaultsOrder();
        RandomAxes random = top.containsKey("random") ? random(top.get("random"), axes)
                : new RandomAxes(1, 0, inDefaultsOrder(), new LinkedHashMap<>());
        List<Map<String, ConfigValue>> explicit = new ArrayList<>();
        List<String> explicitKeys = new ArrayList<>();
        if (top.containsKey("cells")) {
            cells(top.get("cells"), axes, explicit, explicitKeys);
        }
        return new Parsed(origin, sweepName, earlyStopping, targetLoss, base, top.containsKey("grid"), grid, hasSeeds,
                seeds, random, explicit, explicitKeys);
    }

    /** A map whose keys are run-config keys in the order of {@code carousel-defaults.conf}. */
    private static <V> Map<String, V> inDefaultsOrder() {
        return new TreeMap<>(Comparator.comparingInt(RUN_KEYS::indexOf));
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

    private static double targetLoss(ConfigValue value) {
        double targetLoss = number(value, "target-loss");
        if (!(targetLoss > 0)) {
            throw new ConfigError(where(value) + ": target-loss = " + show(value) + ": expected a number > 0");
        }
        return targetLoss;
    }

    /** The {@code base} section, or the run-config file a string {@code base} names; empty when absent. */
    private static Config base(ConfigValue value, BaseFiles dir) {
        if (value == null) {
            return ConfigFactory.empty();
        }
        if (value instanceof ConfigObject object) {
            return object.toConfig();
        }
        if (value.valueType() != ConfigValueType.STRING) {
            throw new ConfigError(where(value) + ": base = " + show(value) + ": wrong type; expected a section of "
                    + "run-config keys or the path of a run-config file");
        }
        return dir.read(value, (String) value.unwrapped());
    }

    /** The run-config file {@code name}, relative to the local directory {@code dir}. */
    private static Config localBase(ConfigValue value, String name, Path dir) {
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

    /** Parses the text of a base file read from elsewhere (a Hadoop file system); {@code origin} names it. */
    static Config parseBase(String hocon, String origin) {
        try {
            return ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription(origin));
        } catch (ConfigException e) {
            throw typesafe(e);
        }
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

    private static Map<String, List<ConfigValue>> grid(ConfigValue g, Map<String, Axis> axes) {
        if (!(g instanceof ConfigObject gridObject)) {
            throw new ConfigError(where(g) + ": grid = " + show(g) + ": wrong type; expected a section of axes, "
                    + "run-config key = [values]");
        }
        Map<String, List<ConfigValue>> grid = inDefaultsOrder();
        flattenGrid(gridObject, axes, grid);
        if (grid.isEmpty()) {
            // Without this, an empty grid would silently mean "the base alone", one cell.
            throw new ConfigError(where(g) + ": grid = {}: empty grid; expected at least one axis, "
                    + "run-config key = [values] (or leave grid out to run the base alone)");
        }
        return grid;
    }

    private static void flattenGrid(ConfigObject object, Map<String, Axis> axes, Map<String, List<ConfigValue>> grid) {
        forEachKey(object, "", false, (key, value) -> {
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
        });
    }

    private static RandomAxes random(ConfigValue r, Map<String, Axis> axes) {
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
        int count = (int) integer(ro.get("count"), "random.count", 1, 1_000_000);
        long seed = ro.containsKey("seed") ? integer(ro.get("seed"), "random.seed", Long.MIN_VALUE, Long.MAX_VALUE) : 0;
        ConfigValue a = ro.get("axes");
        if (!(a instanceof ConfigObject ao) || ao.isEmpty()) {
            throw new ConfigError(where(a == null ? r : a) + ": random.axes: "
                    + (a == null ? "missing" : "= " + show(a)) + "; expected a non-empty section, run-config key = "
                    + "{ distribution = uniform | log-uniform | choice, ... }");
        }
        RandomAxes random = new RandomAxes(count, seed, inDefaultsOrder(), new LinkedHashMap<>());
        flattenRandom(ao, axes, random);
        return random;
    }

    private static void flattenRandom(ConfigObject object, Map<String, Axis> axes, RandomAxes random) {
        forEachKey(object, "", true, (key, value) -> {
            String where = "random.axes." + key;
            checkRunKey(value, where, key);
            if (!(value instanceof ConfigObject spec) || !spec.containsKey("distribution")) {
                throw new ConfigError(where(value) + ": " + where + " = " + show(value) + ": expected "
                        + "{ distribution = uniform | log-uniform | choice, ... }");
            }
            register(axes, new Axis(key, value.origin(), "random"));
            random.axes().put(key, Distribution.parse(spec, where, key));
            random.origins().put(key, value.origin());
        });
    }

    /** The explicit cells into {@code explicit}, and the keys they set into {@code explicitKeys}. */
    private static void cells(ConfigValue c, Map<String, Axis> axes, List<Map<String, ConfigValue>> explicit,
                              List<String> explicitKeys) {
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
            Map<String, ConfigValue> cell = inDefaultsOrder();
            flattenCell(eo, "cells[" + i + "]", cell);
            for (String key : cell.keySet()) {
                Axis other = axes.get(key);
                if (other != null && !other.section().equals("grid")) {
                    throw new ConfigError(where(cell.get(key)) + ": cells[" + i + "]." + key + ": duplicate axis; "
                            + key + " is already set by " + other.section() + " (" + ConfigError.where(other.origin()) + ")");
                }
                if (!explicitKeys.contains(key)) {
                    explicitKeys.add(key);
                }
            }
            explicit.add(cell);
        }
    }

    private static void flattenCell(ConfigObject object, String where, Map<String, ConfigValue> cell) {
        forEachKey(object, "", false, (key, value) -> {
            checkRunKey(value, where + "." + key, key);
            scalar(value, where + "." + key);
            if (cell.containsKey(key)) {
                throw new ConfigError(where(value) + ": " + where + "." + key + ": set twice");
            }
            cell.put(key, value);
        });
    }

    /**
     * Calls {@code leaf} with every key under {@code object} and its value, in sorted order, depth first: a
     * section is walked into unless its path is a run-config key or, with {@code distributions}, it holds a
     * {@code distribution} (a random axis). Keys may so be quoted ({@code "model.hidden"}) or nested alike.
     */
    private static void forEachKey(ConfigObject object, String prefix, boolean distributions,
                                   BiConsumer<String, ConfigValue> leaf) {
        for (String name : sorted(object.keySet())) {
            String key = prefix + name;
            ConfigValue value = object.get(name);
            if (value instanceof ConfigObject nested && !(distributions && nested.containsKey("distribution"))
                    && !RUN_KEYS.contains(key)) {
                forEachKey(nested, key + ".", distributions, leaf);
            } else {
                leaf.accept(key, value);
            }
        }
    }

    private static void register(Map<String, Axis> axes, Axis axis) {
        Axis other = axes.get(axis.key());
        if (other != null) {
            throw new ConfigError(ConfigError.where(axis.origin()) + ": " + axis.section() + "." + axis.key()
                    + ": duplicate axis; " + axis.key() + " is already an axis in " + other.section() + " ("
                    + ConfigError.where(other.origin()) + ")");
        }
        axes.put(axis.key(), axis);
    }
}
