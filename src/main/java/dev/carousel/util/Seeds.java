package dev.carousel.util;

/**
 * Derives independent 64-bit seeds from a root seed and a path of integers, so that every random
 * stream in Carousel (a cell's initialisation, a partition's minibatch order, one generated sequence)
 * is a pure function of the run's seed and its own coordinates. Any cell, partition or sequence can
 * therefore be regenerated alone, in any order, on any executor, with bit-identical results.
 *
 * <p>Mixing uses the SplitMix64 finaliser (Steele, Lea and Flood 2014), which is a bijection with
 * good avalanche: neighbouring paths give unrelated seeds.
 */
public final class Seeds {
    private Seeds() {}

    /** The SplitMix64 finaliser. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A seed for the stream at {@code path} under {@code root}; order of the path matters. */
    public static long derive(long root, long... path) {
        long s = mix(root + 0x9e3779b97f4a7c15L);
        for (long p : path) {
            s = mix(s ^ mix(p + 0x632be59bd9b4e019L));
        }
        return s;
    }

    /** Stable 64-bit code of a short label, for use as a path element ("init", "train", ...). */
    public static long label(String name) {
        long h = 0xcbf29ce484222325L; // FNV-1a, 64 bits: String.hashCode is only 32
        for (int i = 0; i < name.length(); i++) {
            h ^= name.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }
}
