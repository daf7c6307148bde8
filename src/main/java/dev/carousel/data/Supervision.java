package dev.carousel.data;

import java.util.Arrays;

/**
 * Where and how a sequence is scored. The per-sequence loss is the mean, over the loss steps, of the
 * per-step loss: ℓ_b = (1/|P|) Σ_{t∈P} loss(y_t, target_t).
 *
 * @param kind  the per-step loss
 * @param steps the 0-based time steps that carry a loss, strictly increasing, each in [0, T)
 */
public record Supervision(LossKind kind, int[] steps) implements java.io.Serializable {
    public Supervision {
        if (steps.length == 0) {
            throw new IllegalArgumentException("a supervision needs at least one loss step");
        }
        for (int i = 0; i < steps.length; i++) {
            if (steps[i] < 0 || (i > 0 && steps[i] <= steps[i - 1])) {
                throw new IllegalArgumentException("loss steps must be non-negative and strictly increasing: "
                        + Arrays.toString(steps));
            }
        }
        steps = steps.clone();
    }

    /** Loss at the last step only. */
    public static Supervision lastStep(LossKind kind, int sequenceLength) {
        return new Supervision(kind, new int[] {sequenceLength - 1});
    }

    /** Loss at every step. */
    public static Supervision everyStep(LossKind kind, int sequenceLength) {
        int[] s = new int[sequenceLength];
        for (int t = 0; t < sequenceLength; t++) {
            s[t] = t;
        }
        return new Supervision(kind, s);
    }

    @Override
    public int[] steps() {
        return steps.clone();
    }

    /** The last step that carries a loss; lag is measured from it. */
    public int lastStep() {
        return steps[steps.length - 1];
    }

    public int count() {
        return steps.length;
    }

    /** The loss steps as a boolean mask of length {@code sequenceLength}. */
    public boolean[] mask(int sequenceLength) {
        boolean[] m = new boolean[sequenceLength];
        for (int t : steps) {
            if (t >= sequenceLength) {
                throw new IllegalArgumentException("loss step " + t + " is outside a sequence of length " + sequenceLength);
            }
            m[t] = true;
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Supervision s && s.kind == kind && Arrays.equals(s.steps, steps);
    }

    @Override
    public int hashCode() {
        return 31 * kind.hashCode() + Arrays.hashCode(steps);
    }

    @Override
    public String toString() {
        return "Supervision[" + kind + ", steps=" + (steps.length > 8
                ? "[" + steps[0] + ".." + steps[steps.length - 1] + "] (" + steps.length + ")"
                : Arrays.toString(steps)) + "]";
    }
}
