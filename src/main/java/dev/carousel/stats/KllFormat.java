package dev.carousel.stats;

import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.kll.KllDoublesSketchIterator;
import org.apache.datasketches.memory.Memory;

/**
 * Reads the KLL sketches of {@link StepStats} format version 1 (checkpoints written before the DDSketch
 * format), only to decode them: each retained KLL item goes into the accumulator with its weight (as that many
 * kept values, or into the DDSketch past {@link StepAccumulator#EXACT_LIMIT} values). Below k values KLL kept
 * every value, so the decoded cell is exact; past that, a quantile read back is the KLL sketch's own answer
 * while the values are kept, else within the DDSketch bound ({@link StepAccumulator#LOG10_ERROR} decades, or
 * a relative {@link StepAccumulator#RELATIVE_ACCURACY}) of it. Nothing here updates or merges a KLL sketch, so its unseeded compaction
 * coin is never used. datasketches-java comes with Spark (3.3.0 in Spark 3.5).
 */
final class KllFormat {
    private KllFormat() {}

    /**
     * The accumulator of one version-1 cell.
     *
     * @throws IllegalArgumentException if the sketch is corrupt or disagrees with the moments or k
     */
    static StepAccumulator decode(Moments moments, long skipped, byte[] sketchBytes, int k, boolean log10) {
        KllDoublesSketch s;
        try {
            s = KllDoublesSketch.heapify(Memory.wrap(sketchBytes));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("corrupt KLL sketch: " + e.getMessage(), e);
        }
        // The sketch tracks exact n, min and max, so it must agree with the moments.
        if (s.getK() != k || s.getN() != moments.count()
                || (s.getN() > 0 && (s.getMinValue() != moments.min() || s.getMaxValue() != moments.max()))) {
            throw new IllegalArgumentException("KLL sketch (k " + s.getK() + ", n " + s.getN()
                    + ") disagrees with moments (k " + k + ", " + moments + ")");
        }
        StepAccumulator a = StepAccumulator.withMoments(moments, skipped, log10);
        if (!s.isEmpty()) {
            KllDoublesSketchIterator it = s.iterator();
            while (it.next()) {
                a.addWeighted(it.getValue(), it.getWeight());
            }
        }
        if (a.heldCount() != moments.count()) {
            throw new IllegalArgumentException("KLL sketch weights sum to " + a.heldCount() + ", not n "
                    + moments.count());
        }
        return a;
    }
}
