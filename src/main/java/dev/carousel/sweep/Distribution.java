package dev.carousel.sweep;

import static dev.carousel.sweep.SpecValues.number;
import static dev.carousel.sweep.SpecValues.scalar;
import static dev.carousel.config.ConfigError.show;
import static dev.carousel.sweep.SpecValues.sorted;
import static dev.carousel.sweep.SpecValues.where;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The distribution of one random axis of a sweep spec ({@code random.axes.KEY = { distribution = ..., ... }}):
 * {@code uniform} or {@code log-uniform} over [min, max] (rounded for integer keys), or {@code choice} among
 * {@code values}. See {@link SweepSpec} for the rules.
 */
sealed interface Distribution {

    /** The defaults, to tell numeric and integer keys from the others. */
    Config DEFAULT_VALUES = ConfigLoader.toConfig(ConfigLoader.fromConfig(ConfigFactory.empty()));

    /** One draw from {@code rng}; a drawn number carries {@code origin}, the axis's place in the spec. */
    ConfigValue draw(SplittableRandom rng, ConfigOrigin origin);

    /** Uniform in [min, max], or in [log min, log max] when {@code log}; rounded when {@code integer}. */
    record Continuous(boolean log, double min, double max, boolean integer) implements Distribution {
        @Override
        public ConfigValue draw(SplittableRandom rng, ConfigOrigin origin) {
            double u = rng.nextDouble();
            double x = log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
            Object value = integer ? (Object) Math.round(x) : (Object) x;
            return ConfigValueFactory.fromAnyRef(value).withOrigin(origin);
        }
    }

    /** One of {@code values}, each equally likely. */
    record Choice(List<ConfigValue> values) implements Distribution {
        @Override
        public ConfigValue draw(SplittableRandom rng, ConfigOrigin origin) {
            return values.get(rng.nextInt(values.size()));
        }
    }

    /**
     * The distribution {@code spec} describes for the run-config key {@code key}; {@code where} (e.g.
     * {@code random.axes.model.hidden}) names it in errors.
     */
    static Distribution parse(ConfigObject spec, String where, String key) {
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
        return kind.equals("choice") ? choice(spec, where) : continuous(spec, where, key, kind);
    }

    private static Distribution choice(ConfigObject spec, String where) {
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

    private static Distribution continuous(ConfigObject spec, String where, String key, String kind) {
        ConfigValue defaultValue = DEFAULT_VALUES.getValue(key);
        if (defaultValue.valueType() != ConfigValueType.NUMBER) {
            throw new ConfigError(where(spec.get("distribution")) + ": " + where + ".distribution = " + kind + ": " + key
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
}
