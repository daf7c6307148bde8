package dev.carousel.nn;

/**
 * How an LSTM's forget gate is initialised or constrained: the axis Carousel sweeps.
 *
 * <ul>
 *   <li>{@link Learned}: f learned, b_f initialised to a constant (Gers et al. 2000; Jozefowicz et al.
 *       2015 recommend 1).</li>
 *   <li>{@link Chrono}: b_f ~ log U(1, T_max − 1) per unit and b_i = −b_f (Tallec &amp; Ollivier 2018), so
 *       characteristic forgetting times span 1..T_max and cells do not saturate by integrating input.</li>
 *   <li>{@link Uniform}: b_f = logit(u), u ~ U(1/H, 1 − 1/H) (Gu et al. 2020).</li>
 *   <li>{@link Fixed}: f_t ≡ φ ∈ (0, 1], not learned: isolates the carousel factor φ^lag.</li>
 *   <li>{@link None}: f_t ≡ 1, the 1997 LSTM without a forget gate (Hochreiter &amp; Schmidhuber 1997).</li>
 * </ul>
 * "Bias" means the total pre-activation bias of the gate (docs/science.md).
 */
public sealed interface ForgetGate {
    /** Config spelling of the mode: learned, chrono, uniform, fixed, none. */
    String mode();

    /** True when f_t is computed from parameters (and so the f-gate parameters are trained). */
    default boolean isLearned() {
        return !(this instanceof Fixed || this instanceof None);
    }

    /** Short label for tables and plots, e.g. {@code learned(1.0)}. */
    String label();

    record Learned(double bias) implements ForgetGate {
        public String mode() { return "learned"; }
        public String label() { return "learned(" + bias + ")"; }
    }

    /** @param tmax T_max ≥ 2: the longest dependency the init targets (usually the sequence length). */
    record Chrono(int tmax) implements ForgetGate {
        public String mode() { return "chrono"; }
        public String label() { return "chrono(" + tmax + ")"; }
    }

    record Uniform() implements ForgetGate {
        public String mode() { return "uniform"; }
        public String label() { return "uniform"; }
    }

    /** @param value φ ∈ (0, 1] */
    record Fixed(double value) implements ForgetGate {
        public String mode() { return "fixed"; }
        public String label() { return "fixed(" + value + ")"; }
    }

    record None() implements ForgetGate {
        public String mode() { return "none"; }
        public String label() { return "none"; }
    }
}
