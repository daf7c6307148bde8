package dev.carousel.config;

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
}
