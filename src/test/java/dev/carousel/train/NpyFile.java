package dev.carousel.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deliberately small, independent reader of NumPy {@code .npy} version 1.0 files (the format spec:
 * magic {@code \x93NUMPY}, major 1, minor 0, little-endian uint16 header length, an ASCII Python dict
 * literal ending in a newline, then the raw data). It checks the file against the spec rather than
 * trusting ND4J's own reader, so a test that uses it fails if ND4J writes something NumPy would reject.
 */
record NpyFile(String descr, boolean fortranOrder, long[] shape, int headerLength, byte[] data) {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    static NpyFile read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        assertTrue(bytes.length >= 10, file + ": too short for an .npy file");
        assertEquals(Arrays.toString(MAGIC), Arrays.toString(Arrays.copyOf(bytes, 6)), file + ": magic");
        assertEquals(1, bytes[6], file + ": major version");
        assertEquals(0, bytes[7], file + ": minor version");
        int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        assertTrue(10 + headerLength <= bytes.length, file + ": header runs past the end of the file");
        String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{"), file + ": header is not a dict: " + header);
        assertTrue(header.endsWith("\n"), file + ": header must end with a newline: " + header);
        String descr = group(DESCR, header, file);
        boolean fortran = Boolean.parseBoolean(group(FORTRAN, header, file).toLowerCase());
        String dims = group(SHAPE, header, file).trim();
        long[] shape = dims.isEmpty() ? new long[0]
                : Arrays.stream(dims.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                        .mapToLong(Long::parseLong).toArray();
        byte[] data = Arrays.copyOfRange(bytes, 10 + headerLength, bytes.length);
        return new NpyFile(descr, fortran, shape, headerLength, data);
    }

    private static String group(Pattern p, String header, Path file) {
        Matcher m = p.matcher(header);
        assertTrue(m.find(), file + ": header has no " + p.pattern() + ": " + header);
        return m.group(1);
    }

    long elements() {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    int itemSize() {
        return switch (descr) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            default -> throw new AssertionError("unexpected descr " + descr);
        };
    }

    /** The payload as doubles (float32 payloads widened exactly), in file (C) order. */
    double[] values() {
        assertEquals(elements() * itemSize(), data.length, "payload length for shape " + Arrays.toString(shape));
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[(int) elements()];
        for (int k = 0; k < out.length; k++) {
            out[k] = itemSize() == 4 ? buf.getFloat() : buf.getDouble();
        }
        return out;
    }
}
