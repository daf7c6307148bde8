package dev.carousel.config;

import java.util.List;

/**
 * One run-config key as the key table of {@code ConfigKeys} defines it, for code that exposes the keys elsewhere
 * (the Spark ML params of {@code dev.carousel.ml}): its path, value type, accepted values in words, choices and
 * default from {@code carousel-defaults.conf}.
 *
 * @param path         dotted key path, e.g. {@code model.forget-gate.bias}
 * @param type         the Java type its value takes once read
 * @param accepted     what it accepts, as the error messages say it (e.g. {@code an integer in [1, 65536]})
 * @param choices      the accepted names of a {@link Type#CHOICE} key, lower case, or the probe names of a
 *                     {@link Type#PROBES} key; else empty
 * @param defaultValue the default: an Integer, Long, Double, Boolean or String by {@code type}
 */
public record ConfigKey(String path, Type type, String accepted, List<String> choices, Object defaultValue) {

    /** The value types of run-config keys. */
    public enum Type {
        /** Integer. */
        INT,
        /** Long. */
        LONG,
        /** Double. */
        REAL,
        /** Boolean. */
        BOOL,
        /** String, one of {@code choices}. */
        CHOICE,
        /** String. */
        STRING,
        /** String: probe names (the keys of {@code choices}) separated by spaces or commas, or {@code all}. */
        PROBES
    }

    public ConfigKey {
        choices = List.copyOf(choices);
    }
}
