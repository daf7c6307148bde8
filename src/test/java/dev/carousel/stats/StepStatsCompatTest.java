package dev.carousel.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.nn.Probe;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Statistics written in format version 1 (KLL sketches, as checkpoints before the DDSketch format hold them)
 * still decode. {@code compat/step-stats-v1.bin} was written by that code (3 probes, T = 4, 900 values per
 * per-sequence cell, so the KLL sketches had compacted), and {@code step-stats-v1.tsv} holds the summaries it
 * gave, as hexadecimal doubles.
 */
class StepStatsCompatTest {
    private static byte[] resource(String name) throws IOException {
        try (InputStream in = StepStatsCompatTest.class.getResourceAsStream("/compat/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void versionOneBytesDecodeToTheirSummaries() throws IOException {
        StepStats s = StepStats.fromByteArray(resource("step-stats-v1.bin"));
        assertEquals(4, s.steps());
        assertEquals(EnumSet.of(Probe.DH, Probe.FORGET, Probe.DWH_STEP), s.probes());
        assertEquals(2, s.lastLossStep().orElseThrow());
        List<String> rows = new String(resource("step-stats-v1.tsv"), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.startsWith("#")).toList();
        assertEquals(12, rows.size());
        for (String row : rows) {
            String[] f = row.split("\t");
            Probe p = Probe.valueOf(f[0].toUpperCase());
            int t = Integer.parseInt(f[1]);
            StepSummary got = s.summary(p, t);
            assertEquals(Long.parseLong(f[2]), got.count(), row);
            assertEquals(Long.parseLong(f[3]), got.skipped(), row);
            // Moments are stored as they were: bit for bit.
            double[] exact = {got.mean(), got.std(), got.min(), got.max()};
            for (int i = 0; i < exact.length; i++) {
                assertEquals(Double.parseDouble(f[4 + i]), exact[i], 0.0, row);
            }
            // Quantiles come from the DDSketch of the KLL sketch's weighted items: within its bound of KLL's answer.
            double[] q = {got.p10(), got.p50(), got.p90()};
            for (int i = 0; i < q.length; i++) {
                double kll = Double.parseDouble(f[8 + i]);
                double bound = p.isLog10() ? StepAccumulator.LOG10_ERROR
                        : StepAccumulator.RELATIVE_ACCURACY * Math.abs(kll);
                assertEquals(kll, q[i], bound + 1e-12, row + " quantile " + i);
            }
        }
        assertTrue(s.summary(Probe.DH, 0).count() > 200, "the KLL sketches had compacted");
        // Written again, it is in the current format and reads back to the same state.
        byte[] current = s.toByteArray();
        assertArrayEquals(current, StepStats.fromByteArray(current).toByteArray());
    }
}
