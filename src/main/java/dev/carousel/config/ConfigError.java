package dev.carousel.config;

import com.typesafe.config.ConfigException;
import java.util.Objects;

/**
 * A run configuration that cannot be used. The message is a single line naming where the problem is
 * (file:line when known), the key, the bad value and what is accepted, e.g.
 * {@code sweep.conf:12: model.hidden = 0: out of range; expected an integer in [1, 65536]}.
 */
public final class ConfigError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigError(String message) {
        this(message, null);
    }

    public ConfigError(String message, Throwable cause) {
        // One line, whatever the source: Typesafe's and the OS's messages sometimes carry line breaks, and
        // a sweep driver prints one error per failed run.
        super(message.replaceAll("\\s*\\R\\s*", " ").strip(), cause);
    }

    /**
     * Typesafe's message for {@code e} without the "origin: " prefix it starts with, made clearer where it misleads:
     * its parser asks for a "close parentheses ')'" where a section's closing brace is missing, and an unresolved
     * substitution does not say what would resolve it.
     */
    public static String typesafeMessage(ConfigException e) {
        String message = Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
        String prefix = e.origin() == null ? "" : e.origin().description() + ": ";
        if (message.startsWith(prefix)) {
            message = message.substring(prefix.length());
        }
        message = message.replace("expecting a close parentheses ')' here", "expecting a close brace '}' here");
        if (e instanceof ConfigException.UnresolvedSubstitution) {
            message += "; expected a key set in this file or in carousel-defaults.conf, or an environment variable";
        }
        return message;
    }

    /** An origin as {@code file:line} (Typesafe writes "file: line", which editors do not follow). */
    public static String where(com.typesafe.config.ConfigOrigin origin) {
        return origin.description().replaceFirst(": (\\d+(?:-\\d+)?)$", ":$1");
    }

    /** A value as written, cut to 80 characters. */
    public static String show(com.typesafe.config.ConfigValue value) {
        String text = value.render(com.typesafe.config.ConfigRenderOptions.concise());
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
