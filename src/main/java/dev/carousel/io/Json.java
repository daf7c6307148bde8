package dev.carousel.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/** JSON manifests: pretty, key order as given (use LinkedHashMap), plain maps and lists only. */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    public static void write(Path file, Object value) {
        try {
            MAPPER.writeValue(file.toFile(), value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> read(Path file) {
        try {
            return MAPPER.readValue(file.toFile(), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read JSON " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a JSON object from UTF-8 bytes. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parse(byte[] json) {
        try {
            return MAPPER.readValue(json, Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse JSON: " + e.getMessage(), e);
        }
    }

    public static String toString(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
