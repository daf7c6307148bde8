package dev.carousel.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.nn.Probe;
import dev.carousel.nn.ProbeValues;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Ordered from placement of single values, through validation, to round trips of large random states. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StepStatsTest {
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;
    private static final Set<Probe> DH_DWH = EnumSet.of(Probe.DH, Probe.DWH_STEP);

    /** B = 2, T = 3. DH[b, t] = 10·b + t, except (0, 0) which is a zero norm; DWH_STEP[t] = −t. */
    private static ProbeValues tiny(int lastLossStep) {
        double[] dh = {NEG_INF, 1, 2, 10, 11, 12};
        double[] dwh = {0, -1, -2};
        double[] forget = {0.9, 0.9, 0.9, 0.9, 0.9, 0.9};
        return new ProbeValues(2, 3, lastLossStep, Map.of(Probe.DH, dh, Probe.DWH_STEP, dwh, Probe.FORGET, forget));
    }

    @Test
    @Order(1)
    void emptyStats() {
        StepStats s = new StepStats(3, DH_DWH);
        assertEquals(3, s.steps());
        assertEquals(DH_DWH, s.probes());
        assertEquals(OptionalInt.empty(), s.lastLossStep());
        assertEquals(0, s.summary(Probe.DH, 2).count());
        assertThrows(UnsupportedOperationException.class, () -> s.probes().add(Probe.DC));
    }

    @Test
    @Order(2)
    void recordPutsValuesAtTheirProbeAndStep() {
        StepStats s = new StepStats(3, DH_DWH);
        s.record(tiny(2));
        // DH column t holds {10·0 + t, 10·1 + t}; (0, 0) is −∞ and so skipped.
        assertEquals(new StepSummary(1, 1, 10, 0, 10, 10, 10, 10, 10), s.summary(Probe.DH, 0));
        assertEquals(new StepSummary(2, 0, 6, 5, 1, 11, 1, 11, 11), s.summary(Probe.DH, 1));
        assertEquals(new StepSummary(2, 0, 7, 5, 2, 12, 2, 12, 12), s.summary(Probe.DH, 2));
        for (int t = 0; t < 3; t++) {
            assertEquals(new StepSummary(1, 0, -t, 0, -t, -t, -t, -t, -t), s.summary(Probe.DWH_STEP, t));
        }
        assertEquals(OptionalInt.of(2), s.lastLossStep());
        assertThrows(IllegalArgumentException.class, () -> s.summary(Probe.FORGET, 0)); // present in pv, not gathered

        s.record(tiny(2));
        assertEquals(new StepSummary(2, 2, 10, 0, 10, 10, 10, 10, 10), s.summary(Probe.DH, 0));
        assertEquals(2, s.summary(Probe.DWH_STEP, 1).count());
    }

    @Test
    @Order(3)
    void addPutsOneValue() {
        StepStats s = new StepStats(4, EnumSet.of(Probe.FORGET));
        s.add(Probe.FORGET, 3, 0.5);
        s.add(Probe.FORGET, 3, Double.NaN);
        assertEquals(new StepSummary(1, 1, 0.5, 0, 0.5, 0.5, 0.5, 0.5, 0.5), s.summary(Probe.FORGET, 3));
        assertEquals(0, s.summary(Probe.FORGET, 2).count());
        assertEquals(0.5, s.quantile(Probe.FORGET, 3, 0.5));
        assertThrows(IllegalArgumentException.class, () -> s.add(Probe.FORGET, 4, 1));
        assertThrows(IllegalArgumentException.class, () -> s.add(Probe.FORGET, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> s.add(Probe.DH, 0, 1));
    }

    @Test
    @Order(4)
    void recordRejectsMismatchesAndChangesNothing() {
        StepStats s = new StepStats(3, DH_DWH);
        s.record(tiny(2));
        byte[] before = s.toByteArray();
        assertThrows(IllegalArgumentException.class, () -> s.record(tiny(1)), "lastLossStep differs");
        assertThrows(IllegalArgumentException.class,
                () -> s.record(new ProbeValues(1, 3, 2, Map.of(Probe.DH, new double[3]))), "DWH_STEP missing");
        assertThrows(IllegalArgumentException.class, () -> s.record(new ProbeValues(1, 4, 2,
                Map.of(Probe.DH, new double[4], Probe.DWH_STEP, new double[4]))), "T differs");
        assertArrayEquals(before, s.toByteArray());
        assertThrows(IllegalArgumentException.class, () -> new StepStats(0, DH_DWH));
        assertThrows(IllegalArgumentException.class, () -> new StepStats(3, EnumSet.noneOf(Probe.class)));
    }

    @Test
    @Order(5)
    void mergeCombinesCellsAndLastLossStep() {
        StepStats a = new StepStats(3, DH_DWH);
        a.record(tiny(2));
        StepStats b = new StepStats(3, DH_DWH);
        b.add(Probe.DH, 1, 21);
        assertSame(a, a.merge(b));
        assertEquals(new StepSummary(3, 0, 11, Math.sqrt(200.0 / 3), 1, 21, 1, 11, 21), a.summary(Probe.DH, 1));
        assertEquals(OptionalInt.of(2), a.lastLossStep());
        assertEquals(OptionalInt.of(2), b.merge(a).lastLossStep()); // the unknown side adopts it

        StepStats c = new StepStats(3, DH_DWH);
        c.record(tiny(1));
        byte[] before = a.toByteArray();
        assertThrows(IllegalArgumentException.class, () -> a.merge(c));
        assertThrows(IllegalArgumentException.class, () -> a.merge(a));
        assertThrows(IllegalArgumentException.class, () -> a.merge(new StepStats(4, DH_DWH)));
        assertThrows(IllegalArgumentException.class, () -> a.merge(new StepStats(3, EnumSet.of(Probe.DH))));
        assertArrayEquals(before, a.toByteArray());
    }

    @Test
    @Order(6)
    void emptyRoundTrip() {
        StepStats s = new StepStats(2, EnumSet.of(Probe.PATH_GAIN));
        StepStats back = StepStats.fromByteArray(s.toByteArray());
        assertEquals(2, back.steps());
        assertEquals(s.probes(), back.probes());
        assertEquals(OptionalInt.empty(), back.lastLossStep());
        assertArrayEquals(s.toByteArray(), back.toByteArray());
    }

    @Test
    @Order(7)
    void byteRoundTripIsExact() {
        StepStats s = big(1);
        StepStats back = StepStats.fromByteArray(s.toByteArray());
        assertEquals(s.steps(), back.steps());
        assertEquals(s.probes(), back.probes());
        assertEquals(s.lastLossStep(), back.lastLossStep());
        assertSummariesBitIdentical(s, back);
        assertArrayEquals(s.toByteArray(), back.toByteArray());
    }

    @Test
    @Order(8)
    void sameCallsGiveSameBytesAcrossRoundTrips() {
        // Continuing after a round trip (as on an executor) must equal never having serialized.
        StepStats direct = big(2);
        StepStats shipped = StepStats.fromByteArray(big(2).toByteArray());
        StepStats more = big(3);
        direct.merge(more);
        shipped.merge(StepStats.fromByteArray(more.toByteArray()));
        Random r = new Random(4);
        for (int i = 0; i < 5_000; i++) {
            double v = r.nextGaussian();
            direct.add(Probe.DC, i % 5, v);
            shipped.add(Probe.DC, i % 5, v);
        }
        assertArrayEquals(direct.toByteArray(), shipped.toByteArray());
        assertArrayEquals(big(2).toByteArray(), big(2).toByteArray());
    }

    @Test
    @Order(9)
    void javaSerializationRoundTrip() throws Exception {
        StepStats s = big(5);
        byte[] java = javaSerialize(s);
        assertTrue(java.length < s.toByteArray().length + 300, "the serial form should be the binary form");
        StepStats back = (StepStats) new ObjectInputStream(new ByteArrayInputStream(java)).readObject();
        assertSummariesBitIdentical(s, back);
        assertEquals(s.lastLossStep(), back.lastLossStep());
        assertArrayEquals(s.toByteArray(), back.toByteArray());
    }

    @Test
    @Order(10)
    void corruptBytesRejected() {
        StepStats s = new StepStats(2, DH_DWH);
        s.record(new ProbeValues(3, 2, 1, Map.of(Probe.DH, new double[] {1, 2, 3, 4, NEG_INF, 6},
                Probe.DWH_STEP, new double[] {-1, -2})));
        byte[] good = s.toByteArray();
        StepStats.fromByteArray(good);
        for (int i = 0; i < good.length; i++) {
            for (int bit : new int[] {0x01, 0x80}) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) bit;
                int at = i;
                assertThrows(IllegalArgumentException.class, () -> StepStats.fromByteArray(bad), () -> "flip at " + at);
            }
        }
        for (int len = 0; len < good.length; len++) {
            byte[] cut = Arrays.copyOf(good, len);
            int at = len;
            assertThrows(IllegalArgumentException.class, () -> StepStats.fromByteArray(cut), () -> "cut at " + at);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThrows(IllegalArgumentException.class, () -> StepStats.fromByteArray(longer));
        assertMessage("magic", () -> StepStats.fromByteArray(new byte[64]));
    }

    @Test
    @Order(11)
    void inconsistentButChecksummedBytesRejected() {
        // Corruption that a recomputed CRC hides must still fail the structural checks.
        StepStats s = new StepStats(1, EnumSet.of(Probe.DH));
        s.add(Probe.DH, 0, 1.0);
        s.add(Probe.DH, 0, 3.0);
        byte[] good = s.toByteArray();
        int header = 4 + 2 + 4 + 8 + 1 + 4 + 4 + 2 + Probe.DH.key().length();
        assertMessage("version", () -> StepStats.fromByteArray(recrc(put(good, 4, (short) 3))));
        assertMessage("step count", () -> StepStats.fromByteArray(recrc(putInt(good, 6, 1_000_000))));
        assertMessage("relative accuracy",
                () -> StepStats.fromByteArray(recrc(putLong(good, 10, Double.doubleToLongBits(0.02)))));
        assertMessage("probe count", () -> StepStats.fromByteArray(recrc(putInt(good, 23, 0))));
        assertMessage("trailing", () -> StepStats.fromByteArray(recrc(putLong(good, header, 1)))); // reads one kept value
        assertMessage("skipped", () -> StepStats.fromByteArray(recrc(putLong(good, header + 8, -1))));
        assertMessage("inconsistent moments",
                () -> StepStats.fromByteArray(recrc(putLong(good, header + 24, Double.doubleToLongBits(-1.0)))));
        assertMessage("disagrees",
                () -> StepStats.fromByteArray(recrc(putLong(good, header + 32, Double.doubleToLongBits(2.0)))));
        // Two values are kept as they are, sorted: out of order, or outside [min, max], is caught.
        assertMessage("out of order", () -> StepStats.fromByteArray(recrc(putLong(good, header + 48, Double.doubleToLongBits(5.0)))));
        assertMessage("disagrees", () -> StepStats.fromByteArray(recrc(putLong(good, header + 56, Double.doubleToLongBits(4.0)))));
        // Past EXACT_LIMIT values, a sketch: no negative bins, no zeros, then the positive bins; a count moved
        // between them, or a bin outside [min, max]'s buckets, is caught.
        StepStats big = new StepStats(1, EnumSet.of(Probe.DH));
        for (int i = 0; i <= StepAccumulator.EXACT_LIMIT; i++) {
            big.add(Probe.DH, 0, 1.0 + i / 100.0);
        }
        byte[] sketched = big.toByteArray();
        StepStats.fromByteArray(sketched);
        assertMessage("disagrees", () -> StepStats.fromByteArray(recrc(put(sketched, header + 49, (byte) 1))));
        assertMessage("disagrees", () -> StepStats.fromByteArray(recrc(putLong(sketched, header + 32, Double.doubleToLongBits(1.5)))));
        byte[] key = good.clone();
        key[header - 1] = 'x';
        assertMessage("unknown probe", () -> StepStats.fromByteArray(recrc(key)));
    }

    @Test
    @Order(12)
    void corruptJavaSerialFormRejected() throws Exception {
        byte[] java = javaSerialize(big(6));
        java[java.length / 2] ^= 0x10;
        assertThrows(InvalidObjectException.class,
                () -> new ObjectInputStream(new ByteArrayInputStream(java)).readObject());
    }

    /** Three probes, T = 5, some cells past k values so that the sketches compact, others empty or tiny. */
    private static StepStats big(long seed) {
        int batch = 300;
        int steps = 5;
        Set<Probe> probes = EnumSet.of(Probe.DH, Probe.DC, Probe.DWH_STEP);
        StepStats s = new StepStats(steps, probes);
        Random r = new Random(seed);
        for (int rep = 0; rep < 4; rep++) {
            double[] dh = new double[batch * steps];
            double[] dc = new double[batch * steps];
            double[] dwh = new double[steps];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    int lag = 3 - t;
                    dh[b * steps + t] = lag < 0 ? NEG_INF : -0.4 * lag + r.nextGaussian();
                    dc[b * steps + t] = t == 0 ? NEG_INF : r.nextGaussian() * 3;
                }
            }
            for (int t = 0; t < steps; t++) {
                dwh[t] = r.nextGaussian();
            }
            s.record(new ProbeValues(batch, steps, 3, Map.of(Probe.DH, dh, Probe.DC, dc, Probe.DWH_STEP, dwh)));
        }
        return s;
    }

    private static void assertSummariesBitIdentical(StepStats expected, StepStats actual) {
        for (Probe p : expected.probes()) {
            for (int t = 0; t < expected.steps(); t++) {
                StepSummary e = expected.summary(p, t);
                StepSummary a = actual.summary(p, t);
                double[] ev = {e.mean(), e.std(), e.min(), e.max(), e.p10(), e.p50(), e.p90()};
                double[] av = {a.mean(), a.std(), a.min(), a.max(), a.p10(), a.p50(), a.p90()};
                assertEquals(e.count(), a.count());
                assertEquals(e.skipped(), a.skipped());
                for (int i = 0; i < ev.length; i++) {
                    assertEquals(Double.doubleToRawLongBits(ev[i]), Double.doubleToRawLongBits(av[i]), p + " t " + t);
                }
            }
        }
        assertEquals(0, expected.summary(Probe.DH, 4).count(), "DH after the last loss step is all −∞");
    }

    private static byte[] javaSerialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    private static byte[] put(byte[] b, int at, short v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).putShort(at, v);
        return c;
    }

    private static byte[] put(byte[] b, int at, byte v) {
        byte[] c = b.clone();
        c[at] = v;
        return c;
    }

    private static byte[] putInt(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).putInt(at, v);
        return c;
    }

    private static byte[] putLong(byte[] b, int at, long v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).putLong(at, v);
        return c;
    }

    /** Rewrites the trailing CRC32 so that only the structural checks can catch the change. */
    private static byte[] recrc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }
}
