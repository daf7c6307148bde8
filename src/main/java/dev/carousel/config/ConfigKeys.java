package dev.carousel.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.carousel.config.CarouselConfig.OptimizerKind;
import dev.carousel.nn.CellType;
import dev.carousel.nn.Precision;
import dev.carousel.nn.Probe;
import dev.carousel.nn.RecurrentInit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.DoublePredicate;
import java.util.stream.Stream;

/**
 * The run config's keys: each accepted key with its type and range, in the order of
 * {@code carousel-defaults.conf}, and the check of a merged config tree against them. Unknown keys anywhere in
 * the tree, sections and values given each other's shape, wrong types, values out of range and unknown enum
 * names each raise a one-line {@link ConfigError} naming file:line, the key and what it accepts; an unknown key
 * comes with the nearest known one. {@link ConfigLoader} turns the values read here into a {@link CarouselConfig}.
 */
final class ConfigKeys {

    /** Longest task a config may ask for. */
    static final int MAX_TASK_LENGTH = 100_000;

    /** Every accepted key with its type and range, in the order of the defaults file: the one validation table. */
    private static final List<Key> KEYS = List.of(
            Key.int64("seed"),
            Key.choice("task.name", "adding", "copy", "temporal-order"),
            Key.integer("task.length", 2, MAX_TASK_LENGTH),
            Key.integer("task.validation-sequences", 1, 10_000_000),
            Key.choice("model.cell", names(CellType.values())),
            Key.integer("model.hidden", 1, 65_536),
            Key.choice("model.forget-gate.mode", "learned", "chrono", "uniform", "fixed", "none"),
            Key.real("model.forget-gate.bias", "any finite number", v -> true),
            new Key("model.forget-gate.tmax", Kind.INT, "0 (meaning task.length) or an integer in [2, 1000000]",
                    v -> v == 0 || (v >= 2 && v <= 1_000_000), List.of()),
            Key.real("model.forget-gate.value", "a number in (0, 1]", v -> v > 0 && v <= 1),
            Key.real("model.rnn-gain", "a number in [0, 100]", v -> v >= 0 && v <= 100),
            Key.choice("model.recurrent-init", names(RecurrentInit.values())),
            Key.choice("model.precision", names(Precision.values())),
            Key.choice("optimizer.name", names(OptimizerKind.values())),
            Key.real("optimizer.learning-rate", "a number in (0, 10]", v -> v > 0 && v <= 10),
            Key.real("optimizer.momentum", "a number in [0, 1)", v -> v >= 0 && v < 1),
            Key.real("optimizer.beta1", "a number in [0, 1)", v -> v >= 0 && v < 1),
            Key.real("optimizer.beta2", "a number in [0, 1)", v -> v >= 0 && v < 1),
            Key.real("optimizer.epsilon", "a number in (0, 1]", v -> v > 0 && v <= 1),
            Key.real("optimizer.rho", "a number in [0, 1)", v -> v >= 0 && v < 1),
            Key.real("optimizer.clip-norm", "a number >= 0 (0 = off)", v -> v >= 0),
            Key.integer("training.batch-size", 1, 65_536),
            Key.integer("training.updates", 0, 100_000_000),
            Key.integer("training.eval-every", 1, Integer.MAX_VALUE),
            Key.bool("probes.enabled"),
            Key.integer("probes.every", 1, Integer.MAX_VALUE),
            new Key("probes.set", Kind.PROBES, "probe names separated by spaces or commas, from "
                    + String.join(", ", Probe.allKeys()) + ", or all", v -> true, Probe.allKeys()),
            Key.integer("distributed.partitions", 1, 100_000),
            Key.integer("distributed.local-steps", 1, 100_000_000),
            Key.integer("distributed.aggregation-depth", 1, 16),
            Key.choice("distributed.optimizer-state", names(CarouselConfig.OptimizerStateMode.values())),
            Key.integer("distributed.checkpoint-every", 0, Integer.MAX_VALUE),
            Key.choice("data.format", "generated", "parquet", "csv", "text"),
            new Key("data.path", Kind.STRING, "a file or directory path (required unless data.format = generated)",
                    v -> true, List.of()),
            Key.real("data.validation-fraction", "a number in (0, 1)", v -> v > 0 && v < 1));


    private static final Map<String, Key> BY_PATH = byPath();
    /** Section path ("" for the root) to the names of its children, in table order. */
    private static final Map<String, List<String>> SECTIONS = sections();

    private ConfigKeys() {}

    /** Every key path, in the order of {@code carousel-defaults.conf}. */
    static List<String> paths() {
        return List.copyOf(BY_PATH.keySet());
    }

    /** The key nearest {@code path} by edit distance of its last segment, if near enough. */
    static Optional<String> closestKey(String path) {
        return closest(lastSegment(path), List.copyOf(BY_PATH.keySet()));
    }

    /** Every key with its type, accepted values and its value in {@code defaults}, in table order. */
    static List<ConfigKey> describe(Config defaults) {
        List<ConfigKey> keys = new ArrayList<>();
        for (Key key : KEYS) {
            keys.add(new ConfigKey(key.path(), ConfigKey.Type.valueOf(key.kind().name()), key.accepted(), key.choices(),
                    key.read(defaults)));
        }
        return keys;
    }

    /**
     * Checks the tree of {@code merged} and reads the one key {@code path}, with the same checks and messages as
     * {@link #read}; the other keys are not read.
     */
    static Object readOne(Config merged, String path) {
        checkTree(merged.root(), List.of());
        Key key = BY_PATH.get(path);
        if (key == null) {
            throw new IllegalArgumentException(path + " is not a run-config key");
        }
        return key.read(merged);
    }

    /**
     * Checks the tree of {@code merged} (the user's config over the defaults) and reads every key: its path to an
     * Integer, Long, Double, Boolean or lower-case String.
     */
    static Map<String, Object> read(Config merged) {
        checkTree(merged.root(), List.of());
        Map<String, Object> values = new HashMap<>();
        for (Key key : KEYS) {
            values.put(key.path(), key.read(merged));
        }
        return values;
    }

    /** PROBES: a set of probe names, read as their keys in enum order separated by single spaces. */
    private enum Kind { INT, LONG, REAL, BOOL, CHOICE, STRING, PROBES }

    /** One documented key: its path, its type, and its accepted values as a predicate and in words. */
    private record Key(String path, Kind kind, String accepted, DoublePredicate inRange, List<String> choices) {

        static Key integer(String path, int lo, int hi) {
            String accepted = hi == Integer.MAX_VALUE
                    ? "an integer >= " + lo
                    : "an integer in [" + lo + ", " + hi + "]";
            return new Key(path, Kind.INT, accepted, v -> v >= lo && v <= hi, List.of());
        }

        static Key int64(String path) {
            return new Key(path, Kind.LONG, "a 64-bit integer", v -> true, List.of());
        }

        static Key real(String path, String accepted, DoublePredicate inRange) {
            return new Key(path, Kind.REAL, accepted, inRange, List.of());
        }

        static Key bool(String path) {
            return new Key(path, Kind.BOOL, "true or false", v -> true, List.of());
        }

        static Key choice(String path, String... names) {
            return new Key(path, Kind.CHOICE, "one of " + String.join(", ", names), v -> true, List.of(names));
        }

        /**
         * The validated value of this key in {@code c}: Integer, Long, Double, Boolean or lower-case String (for
         * PROBES the probes' keys in enum order, separated by single spaces).
         */
        Object read(Config c) {
            ConfigValue raw = c.getValue(path);
            return switch (kind) {
                case BOOL -> {
                    try {
                        yield c.getBoolean(path);
                    } catch (ConfigException.WrongType e) {
                        throw bad(raw, "wrong type");
                    }
                }
                case STRING -> {
                    if (raw.valueType() != ConfigValueType.STRING) {
                        throw bad(raw, "wrong type");
                    }
                    yield c.getString(path);
                }
                case CHOICE -> {
                    String name = c.getString(path).toLowerCase(Locale.ROOT);
                    if (!choices.contains(name)) {
                        throw bad(raw, "unknown value");
                    }
                    yield name;
                }
                case PROBES -> readProbes(c, raw);
                case INT, LONG, REAL -> readNumber(c, raw);
            };
        }

        private String readProbes(Config c, ConfigValue raw) {
            if (raw.valueType() != ConfigValueType.STRING) {
                throw bad(raw, "wrong type");
            }
            Set<Probe> probes = EnumSet.noneOf(Probe.class);
            for (String name : c.getString(path).toLowerCase(Locale.ROOT).split("[\\s,]+")) {
                if (name.isEmpty()) {
                    continue;
                }
                if (name.equals("all")) {
                    probes.addAll(EnumSet.allOf(Probe.class));
                } else if (choices.contains(name)) {
                    probes.add(Probe.byKey(name));
                } else {
                    throw bad(raw, "unknown probe " + name);
                }
            }
            if (probes.isEmpty()) {
                throw bad(raw, "no probe named (set probes.enabled = false to record none)");
            }
            return String.join(" ", Probe.keys(probes));
        }

        private Object readNumber(Config c, ConfigValue raw) {
            Number n;
            try {
                // Typesafe's coercion: a quoted "128" is a number, "abc" is not; "NaN" is (a double) and so
                // is caught by the finiteness check below, since HOCON has no NaN literal of its own.
                n = c.getNumber(path);
            } catch (ConfigException.WrongType e) {
                throw bad(raw, "wrong type");
            }
            double d = n.doubleValue();
            if (!Double.isFinite(d)) {
                throw bad(raw, "not a finite number");
            }
            return switch (kind) {
                case REAL -> {
                    if (!inRange.test(d)) {
                        throw bad(raw, "out of range");
                    }
                    yield d + 0.0; // -0.0 becomes 0.0, so configs that mean the same are equal and hash equally
                }
                case INT -> {
                    // Integral doubles such as 1e5 or 64.0 are accepted; Typesafe's getInt would truncate 1.5.
                    if (d != Math.rint(d)) {
                        throw bad(raw, "not an integer");
                    }
                    if (!inRange.test(d)) {
                        throw bad(raw, "out of range");
                    }
                    yield (int) d;
                }
                case LONG -> {
                    if (n instanceof Integer || n instanceof Long) {
                        yield n.longValue();
                    }
                    if (d != Math.rint(d) || Math.abs(d) > 0x1p53) { // beyond 2^53 a double no longer names one long
                        throw bad(raw, "not an exact integer");
                    }
                    yield (long) d;
                }
                default -> throw new IllegalStateException(kind + " is not numeric");
            };
        }

        ConfigError bad(ConfigValue raw, String problem) {
            return new ConfigError(ConfigError.where(raw.origin()) + ": " + path + " = " + ConfigError.show(raw) + ": " + problem
                    + "; expected " + accepted);
        }
    }

    /** Rejects unknown keys, and sections or leaves given the other's shape, anywhere in the merged tree. */
    private static void checkTree(ConfigObject object, List<String> prefix) {
        for (String name : object.keySet().stream().sorted().toList()) {
            List<String> segments = Stream.concat(prefix.stream(), Stream.of(name)).toList();
            String path = ConfigUtil.joinPath(segments);
            ConfigValue value = object.get(name);
            Key key = BY_PATH.get(path);
            if (key != null) {
                ConfigValueType type = value.valueType();
                if (type == ConfigValueType.OBJECT || type == ConfigValueType.LIST || type == ConfigValueType.NULL) {
                    throw key.bad(value, "wrong type");
                }
            } else if (SECTIONS.containsKey(path)) {
                if (!(value instanceof ConfigObject section)) {
                    throw new ConfigError(ConfigError.where(value.origin()) + ": " + path + " = " + ConfigError.show(value)
                            + ": wrong type; expected a section with keys " + String.join(", ", SECTIONS.get(path)));
                }
                checkTree(section, segments);
            } else {
                throw unknownKey(value, prefix, name, path);
            }
        }
    }

    private static ConfigError unknownKey(ConfigValue value, List<String> prefix, String name, String path) {
        String section = prefix.isEmpty() ? "" : ConfigUtil.joinPath(prefix);
        List<String> siblings = SECTIONS.get(section).stream()
                .map(child -> section.isEmpty() ? child : section + "." + child).toList();
        // A typo of a sibling first; else the same name in another section (model.batch-size).
        List<String> everywhere = Stream.concat(BY_PATH.keySet().stream(), SECTIONS.keySet().stream())
                .filter(p -> !p.isEmpty()).toList();
        String hint = closest(name, siblings).or(() -> closest(name, everywhere))
                .map(p -> "did you mean " + p + "?")
                .orElseGet(() -> (section.isEmpty() ? "valid top-level keys: " : "valid keys of " + section + ": ")
                        + String.join(", ", SECTIONS.get(section)));
        return new ConfigError(ConfigError.where(value.origin()) + ": " + path + ": unknown key; " + hint);
    }

    /** The candidate path whose last segment is nearest {@code name} by edit distance, if near enough. */
    private static Optional<String> closest(String name, List<String> candidates) {
        int limit = 1 + name.length() / 4;
        return candidates.stream()
                .filter(p -> editDistance(name, lastSegment(p)) <= limit)
                .min(Comparator.comparingInt(p -> editDistance(name, lastSegment(p))));
    }

    private static String lastSegment(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    /** Levenshtein distance, ignoring case. */
    static int editDistance(String a, String b) {
        a = a.toLowerCase(Locale.ROOT);
        b = b.toLowerCase(Locale.ROOT);
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(substitute, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static Map<String, Key> byPath() {
        Map<String, Key> map = new LinkedHashMap<>();
        KEYS.forEach(k -> map.put(k.path(), k));
        return map;
    }

    private static Map<String, List<String>> sections() {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        for (Key key : KEYS) {
            String[] parts = key.path().split("\\.");
            for (int i = 0; i < parts.length; i++) {
                List<String> children = sections.computeIfAbsent(
                        String.join(".", Arrays.copyOfRange(parts, 0, i)), s -> new ArrayList<>());
                if (!children.contains(parts[i])) {
                    children.add(parts[i]);
                }
            }
        }
        return sections;
    }


    private static String[] names(Enum<?>[] values) {
        return Arrays.stream(values).map(ConfigKeys::lower).toArray(String[]::new);
    }

    /** An enum constant's name as a config value: lower case. */
    static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
