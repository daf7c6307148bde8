package dev.carousel.nn;

/**
 * tanh and the logistic sigmoid for the float32 engine, in float arithmetic only (multiply, add, divide,
 * min, max), so that HotSpot's C2 compiles the loops over a gate block into SIMD code: about 1 ns per
 * element here against 12–45 ns for {@code 1 / (1 + Math.exp(−x))}, which no JDK 17 loop vectorises. With
 * five transcendentals per LSTM unit and step these dominated float32 training once the matrix products
 * went direct (see BENCHMARKS.md).
 *
 * <p>Loops over these must stay simple to be vectorised (measured, JDK 17 C2): one index shared by every array,
 * starting at 0, and at most about four arrays per loop; a loop over a gate range at an offset, or with a
 * fifth array, ran scalar at ~9 ns per element. Hence the per-gate [B·H] arrays of the float32 engine.
 *
 * <p>tanh is the clamped [13/6] rational approximation used by Eigen for float ({@code ptanh_float}):
 * maximum relative error 3e-7 (≈ 2.5 float ulp) measured over N(0, 3²) inputs; |x| ≥ 7.905 gives ±1, as
 * float rounding of the true value does. The sigmoid is σ(x) = ½ + ½·tanh(x/2): absolute error ≤ 1.5e-7, so
 * values below ~1e-7 (x &lt; −16) lose their relative accuracy and round to 0 for x &lt; −15.8, where float32
 * cannot tell f from 0 anyway next to any gate near 1. The float64 engine keeps exact-to-ulp exp-based
 * functions: the gradient checks and the reference comparison run there.
 */
final class FloatMath {
    private FloatMath() {}

    private static final float CLAMP = 7.90531110763549805f;

    static float tanh(float x) {
        float v = Math.max(-CLAMP, Math.min(CLAMP, x));
        float x2 = v * v;
        float p = -2.76076847742355e-16f;
        p = p * x2 + 2.00018790482477e-13f;
        p = p * x2 + -8.60467152213735e-11f;
        p = p * x2 + 5.12229709037114e-08f;
        p = p * x2 + 1.48572235717979e-05f;
        p = p * x2 + 6.37261928875436e-04f;
        p = p * x2 + 4.89352455891786e-03f;
        p = p * v;
        float q = 1.19825839466702e-06f;
        q = q * x2 + 1.18534705686654e-04f;
        q = q * x2 + 2.26843463243900e-03f;
        q = q * x2 + 4.89352518554385e-03f;
        return p / q;
    }

    static float sigmoid(float x) {
        return 0.5f + 0.5f * tanh(0.5f * x);
    }

    /** a[0..n) ← σ(a[0..n) + bias[0..n)). Two streams at one index: compiles to SIMD code. */
    static void sigmoidBiased(float[] a, float[] bias, int n) {
        for (int k = 0; k < n; k++) {
            a[k] = sigmoid(a[k] + bias[k]);
        }
    }

    /** a[0..n) ← tanh(a[0..n) + bias[0..n)). */
    static void tanhBiased(float[] a, float[] bias, int n) {
        for (int k = 0; k < n; k++) {
            a[k] = tanh(a[k] + bias[k]);
        }
    }
}
