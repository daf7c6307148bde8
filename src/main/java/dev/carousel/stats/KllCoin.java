package dev.carousel.stats;

import dev.carousel.util.Seeds;
import java.lang.reflect.Field;
import java.util.Random;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.kll.KllSketch;

/**
 * Makes KLL compaction deterministic. In datasketches-java 3.3.0 every KLL sketch in the JVM draws its
 * compaction coin from one package-private {@code static final Random KllSketch.random}, created with
 * {@code new Random()} (seeded from the clock) and with no public way to seed it. Two identical streams
 * therefore give different sketches run to run, and concurrent sketches even perturb each other.
 *
 * <p>We reach that {@code Random} by reflection and, holding its monitor, reseed it before every update and
 * merge with a pure function of the sketch's own coordinates (its seed and item counts). A sketch's state
 * is then a function of its own sequence of updates and merges only: bit-identical run to run, and
 * unaffected by other sketches or threads. This relies on every KLL user in the JVM going through this class
 * (Spark 3.5 itself never touches KLL). If the field is absent (another datasketches version), we fall
 * back to the library's unseeded coin and {@link #DETERMINISTIC} is false.
 */
final class KllCoin {
    private static final Random COIN = find();

    /** True when the KLL coin could be seeded, i.e. sketch results are reproducible. */
    static final boolean DETERMINISTIC = COIN != null;

    private KllCoin() {}

    private static Random find() {
        try {
            Field f = KllSketch.class.getDeclaredField("random");
            f.setAccessible(true);
            return f.get(null) instanceof Random r ? r : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Adds {@code values[0..count)} to the sketch, reseeding before each so batching does not matter. */
    static void update(KllDoublesSketch sketch, long seed, double[] values, int count) {
        if (COIN == null) {
            for (int i = 0; i < count; i++) {
                sketch.update(values[i]);
            }
            return;
        }
        synchronized (COIN) {
            for (int i = 0; i < count; i++) {
                COIN.setSeed(Seeds.mix(seed ^ Seeds.mix(sketch.getN())));
                sketch.update(values[i]);
            }
        }
    }

    /** Adds one value. */
    static void update(KllDoublesSketch sketch, long seed, double value) {
        if (COIN == null) {
            sketch.update(value);
            return;
        }
        synchronized (COIN) {
            COIN.setSeed(Seeds.mix(seed ^ Seeds.mix(sketch.getN())));
            sketch.update(value);
        }
    }

    /** Merges {@code other} into {@code sketch}; {@code other} is not changed. */
    static void merge(KllDoublesSketch sketch, long seed, KllDoublesSketch other) {
        if (COIN == null) {
            sketch.merge(other);
            return;
        }
        synchronized (COIN) {
            COIN.setSeed(Seeds.derive(seed, Seeds.label("merge"), sketch.getN(), other.getN()));
            sketch.merge(other);
        }
    }
}
