package dev.carousel.sweep;

import static dev.carousel.sweep.SpecValues.RUN_KEYS;
import static dev.carousel.sweep.SpecValues.typesafe;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.CellType;
import dev.carousel.sweep.SweepSpecParser.Parsed;
import dev.carousel.sweep.SweepSpecParser.RandomAxes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Expands a validated spec into its cells: the variants (grid combinations, first axis slowest, then the explicit
 * cells) crossed with the random draws and then the seeds (fastest), each resolved by {@link ConfigLoader} and
 * kept once per config hash, at its first position. See {@link SweepSpec} for the rules.
 */
final class SweepSpecExpander {

    /** A message that starts with {@code file:line}: the location, then the rest. */
    private static final Pattern LOCATED = Pattern.compile("^(\\S+:\\d+(?:-\\d+)?): (.*)$");

    private SweepSpecExpander() {}

    /** The spec's cells, columns and number of combinations. */
    static SweepSpec expand(Parsed p) {
        List<String> columns = columns(p);
        List<Map<String, ConfigValue>> draws = draws(p.random());
        Map<String, Cell> byId = new LinkedHashMap<>();
        int combinations = 0;
        for (Map<String, ConfigValue> variant : variants(p)) {
            for (Map<String, ConfigValue> draw : draws) {
                for (ConfigValue seed : p.hasSeeds() ? p.seeds() : Collections.<ConfigValue>singletonList(null)) {
                    Map<String, ConfigValue> requested = new LinkedHashMap<>(variant);
                    requested.putAll(draw);
                    if (seed != null) {
                        requested.put("seed", seed);
                    }
                    CarouselConfig config = resolve(p.base(), requested);
                    combinations++;
                    String id = ConfigLoader.hash(config);
                    if (!byId.containsKey(id)) {
                        byId.put(id, new Cell(id, config, axisValues(columns, config)));
                    }
                }
            }
        }
        return new SweepSpec(p.origin(), p.name(), p.earlyStopping(), p.targetLoss(), columns,
                new ArrayList<>(byId.values()), combinations);
    }

    /** Every axis key in defaults order, the replicate seed last. */
    private static List<String> columns(Parsed p) {
        List<String> columns = new ArrayList<>();
        for (String key : RUN_KEYS) {
            boolean isAxis = p.grid().containsKey(key) || p.random().axes().containsKey(key)
                    || p.explicitKeys().contains(key);
            if (isAxis && !(p.hasSeeds() && key.equals("seed"))) {
                columns.add(key);
            }
        }
        if (p.hasSeeds()) {
            columns.add("seed");
        }
        return columns;
    }

    /** The grid's combinations (first axis slowest), then the explicit cells; the base alone with neither. */
    private static List<Map<String, ConfigValue>> variants(Parsed p) {
        List<Map<String, ConfigValue>> variants = new ArrayList<>();
        if (p.hasGrid() || p.explicit().isEmpty()) {
            variants.add(new LinkedHashMap<>());
            for (Map.Entry<String, List<ConfigValue>> axis : p.grid().entrySet()) {
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
        variants.addAll(p.explicit());
        return variants;
    }

    /** The random points in draw order, each axis key to its drawn value. */
    private static List<Map<String, ConfigValue>> draws(RandomAxes random) {
        List<Map<String, ConfigValue>> draws = new ArrayList<>();
        for (int i = 0; i < random.count(); i++) {
            Map<String, ConfigValue> draw = new LinkedHashMap<>();
            for (Map.Entry<String, Distribution> axis : random.axes().entrySet()) {
                SplittableRandom rng = new SplittableRandom(drawSeed(random.seed(), axis.getKey(), i));
                draw.put(axis.getKey(), axis.getValue().draw(rng, random.origins().get(axis.getKey())));
            }
            draws.add(draw);
        }
        return draws;
    }

    /** Seed of draw {@code index} of axis {@code key}: a function of (seed, key, index) only. */
    private static long drawSeed(long seed, String key, int index) {
        long h = seed;
        for (int i = 0; i < key.length(); i++) {
            h = h * 0x100000001B3L + key.charAt(i);
        }
        return (h * 0x9E3779B97F4A7C15L) ^ (index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL);
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
            Matcher m = LOCATED.matcher(message);
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
    private static boolean ignored(String key, CarouselConfig config) {
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
}
