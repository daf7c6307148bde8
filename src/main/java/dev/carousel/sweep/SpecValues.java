package dev.carousel.sweep;

import static dev.carousel.config.ConfigError.show;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import java.util.Collection;
import java.util.List;

/**
 * The checks of single values in a sweep spec and the pieces of its error messages, shared by
 * {@link SweepSpecParser}, {@link Distribution} and {@link SweepSpecExpander}: every error starts with
 * {@code file:line}, then the key and the value as written.
 */
final class SpecValues {
    /** Every run-config key, in the order of {@code carousel-defaults.conf}: the order of axes and columns. */
    static final List<String> RUN_KEYS = ConfigLoader.keyPaths();

    private SpecValues() {}

    /** Rejects a key that is not a run-config key, suggesting the nearest one. */
    static void checkRunKey(ConfigValue value, String where, String key) {
        if (!RUN_KEYS.contains(key)) {
            String hint = ConfigLoader.closestKey(key).map(k -> "; did you mean " + k + "?")
                    .orElse("; axes are run-config keys such as model.hidden (see carousel-defaults.conf)");
            throw new ConfigError(where(value) + ": " + where + ": " + key + " is not a run-config key" + hint);
        }
    }

    /** Rejects a section, list or null where an axis value (number, string or boolean) belongs. */
    static void scalar(ConfigValue value, String where) {
        ConfigValueType t = value.valueType();
        if (t == ConfigValueType.OBJECT || t == ConfigValueType.LIST || t == ConfigValueType.NULL) {
            throw new ConfigError(where(value) + ": " + where + " = " + show(value)
                    + ": wrong type; expected a number, string or boolean");
        }
    }

    /** The integer {@code value} in [lo, hi]; {@code lo = Long.MIN_VALUE} means any integer. */
    static long integer(ConfigValue value, String where, long lo, long hi) {
        Object u = value.unwrapped();
        if (!(u instanceof Integer || u instanceof Long) || ((Number) u).longValue() < lo || ((Number) u).longValue() > hi) {
            throw new ConfigError(where(value) + ": " + where + " = " + show(value) + ": expected an integer"
                    + (lo == Long.MIN_VALUE ? "" : " in [" + lo + ", " + hi + "]"));
        }
        return ((Number) u).longValue();
    }

    /** The finite number {@code value}. */
    static double number(ConfigValue value, String where) {
        if (!(value.unwrapped() instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw new ConfigError(where(value) + ": " + where + " = " + show(value) + ": expected a finite number");
        }
        return n.doubleValue();
    }

    /** Names in a stable order, so the first of several problems is the same whatever HOCON's map order. */
    static List<String> sorted(Collection<String> names) {
        return names.stream().sorted().toList();
    }

    static String where(ConfigValue value) {
        return ConfigError.where(value.origin());
    }

    /** Typesafe's exception as one line, its origin written file:line. */
    static ConfigError typesafe(ConfigException e) {
        String message = ConfigError.typesafeMessage(e);
        String what = e instanceof ConfigException.Parse ? "syntax error: " : ""; // as ConfigLoader says it
        if (e.origin() != null) {
            return new ConfigError(ConfigError.where(e.origin()) + ": " + what + message, e);
        }
        return new ConfigError(what + message, e);
    }
}
