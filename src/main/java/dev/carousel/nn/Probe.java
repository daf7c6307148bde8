package dev.carousel.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The per-time-step gradient-flow probes recorded by the backward pass (docs/science.md, "Probes"). Norm
 * probes are taken against the per-sequence loss ℓ_b (not divided by B) and stored as log10, because
 * the quantities span tens of decades and σ(0)^lag underflows float32 near lag 126 (docs/science.md).
 *
 * <p>The {@code dc_*} probes split the cell-state gradient of step t into the terms that reach it from step t + 1
 * (LSTM, gate order i, f, g, o):
 *
 * <pre>
 *   δc_t = δc_{t+1} ⊙ f_{t+1}                                          the carousel
 *        + Σ_{k ∈ {i,f,g,o}} (δz_{t+1}^{(k)} W_{h,k}ᵀ) ⊙ o_t ⊙ (1 − tanh² c_t)   gate k, through h_t
 *        + (∂ℓ_b/∂h_t from the head) ⊙ o_t ⊙ (1 − tanh² c_t)             if t is a loss step
 * </pre>
 *
 * δz_{t+1}^{(k)} is the gate-k block [B, H] of ∂ℓ_b/∂z_{t+1} and W_{h,k} the gate-k columns [H, H] of W_h. The
 * five terms from step t + 1 are recorded (not the loss's own term); at the last step there are none, so norms are
 * −∞ and the ratios NaN there, which the statistics count as skipped.
 */
public enum Probe {
    /** log10 ‖∂ℓ_b/∂h_t‖₂, per sequence. */
    DH("dh", true, true, false),
    /** log10 ‖∂ℓ_b/∂c_t‖₂, per sequence (LSTM only). */
    DC("dc", true, true, false),
    /** mean over units of f_t, per sequence (LSTM only; not a log). */
    FORGET("forget", false, true, false),
    /** log10 of the mean over units of ∏_{k=t+1..T−1} f_k: the carousel's diagonal of ∂c_{T−1}/∂c_t (LSTM only). */
    PATH_GAIN("path_gain", true, true, false),
    /** log10 ‖h_{t−1}ᵀ δz_t‖_F: step t's contribution to the recurrent-weight gradient, per batch. */
    DWH_STEP("dwh_step", true, false, false),
    /** log10 ‖δc_{t+1} ⊙ f_{t+1}‖₂: the carousel's term of δc_t (LSTM only). */
    DC_CAROUSEL("dc_carousel", true, true, true),
    /** log10 ‖(δz_{t+1}^{(i)} W_{h,i}ᵀ) ⊙ o_t ⊙ (1 − tanh² c_t)‖₂: the input gate's term of δc_t, through h_t. */
    DC_VIA_I("dc_via_i", true, true, true),
    /** As {@link #DC_VIA_I} for the forget gate; −∞ (zero) for fixed and none forget gates. */
    DC_VIA_F("dc_via_f", true, true, true),
    /** As {@link #DC_VIA_I} for the candidate g. */
    DC_VIA_G("dc_via_g", true, true, true),
    /** As {@link #DC_VIA_I} for the output gate. */
    DC_VIA_O("dc_via_o", true, true, true),
    /** The carousel's share of the flow: ‖carousel‖ / (‖carousel‖ + Σ_k ‖via_k‖), in [0, 1] (not a log). */
    DC_SHARE("dc_share", false, true, true),
    /** Agreement of the five terms: ‖Σ terms‖ / Σ ‖terms‖, 1 when they point one way, near 0 when they cancel. */
    DC_AGREEMENT("dc_agreement", false, true, true),
    /** Cosine between the carousel term and the sum of the four gate terms, in [−1, 1]; NaN when either is zero. */
    DC_COSINE("dc_cosine", false, true, true);

    /** The gate terms' probes in gate order i, f, g, o. */
    static final Probe[] VIA = {DC_VIA_I, DC_VIA_F, DC_VIA_G, DC_VIA_O};

    private final String key;
    private final boolean log10;
    private final boolean perSequence;
    private final boolean cellTerm;

    Probe(String key, boolean log10, boolean perSequence, boolean cellTerm) {
        this.key = key;
        this.log10 = log10;
        this.perSequence = perSequence;
        this.cellTerm = cellTerm;
    }

    /** Name used in tables, manifests and configs. */
    public String key() {
        return key;
    }

    /** True when recorded values are log10 of a norm or gain; false for plain values (forget, shares, cosines). */
    public boolean isLog10() {
        return log10;
    }

    /** True when recorded once per sequence and step; false when once per batch and step. */
    public boolean isPerSequence() {
        return perSequence;
    }

    /** True for the probes of the split of δc_t into its carousel and gate terms (the {@code dc_*} probes). */
    public boolean isCellTerm() {
        return cellTerm;
    }

    /** True when the probe exists for the given cell. */
    public boolean appliesTo(CellType cell) {
        return cell == CellType.LSTM || this == DH || this == DWH_STEP;
    }

    /** The probe named {@code key}, if any. */
    public static Probe byKey(String key) {
        for (Probe p : values()) {
            if (p.key.equals(key)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown probe " + key);
    }

    /**
     * The probes recorded unless a config says otherwise: the norms, the forget activation and the path gain.
     * dwh_step (two symmetric rank-k updates per step) and the δc split (one more [B, G]×[G, H] product per step)
     * are asked for by name, so a probed step costs little more than an unprobed one.
     */
    public static Set<Probe> defaults() {
        return Collections.unmodifiableSet(EnumSet.of(DH, DC, FORGET, PATH_GAIN));
    }

    /** The keys of {@code probes} in enum order. */
    public static List<String> keys(Set<Probe> probes) {
        List<String> keys = new ArrayList<>();
        for (Probe p : values()) {
            if (probes.contains(p)) {
                keys.add(p.key);
            }
        }
        return keys;
    }

    /** Every key, in enum order. */
    public static List<String> allKeys() {
        return keys(EnumSet.allOf(Probe.class));
    }
}
