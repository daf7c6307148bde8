package dev.carousel.nn;

/**
 * The per-time-step gradient-flow probes recorded by the backward pass (docs/science.md, "Probes"). Norm
 * probes are taken against the per-sequence loss ℓ_b (not divided by B) and stored as log10, because
 * the quantities span tens of decades and σ(0)^lag underflows float32 near lag 126 (docs/science.md).
 */
public enum Probe {
    /** log10 ‖∂ℓ_b/∂h_t‖₂, per sequence. */
    DH("dh", true, true),
    /** log10 ‖∂ℓ_b/∂c_t‖₂, per sequence (LSTM only). */
    DC("dc", true, true),
    /** mean over units of f_t, per sequence (LSTM only; not a log). */
    FORGET("forget", false, true),
    /** log10 of the mean over units of ∏_{k=t+1..T−1} f_k: the carousel's diagonal of ∂c_{T−1}/∂c_t (LSTM only). */
    PATH_GAIN("path_gain", true, true),
    /** log10 ‖h_{t−1}ᵀ δz_t‖_F: step t's contribution to the recurrent-weight gradient, per batch. */
    DWH_STEP("dwh_step", true, false);

    private final String key;
    private final boolean log10;
    private final boolean perSequence;

    Probe(String key, boolean log10, boolean perSequence) {
        this.key = key;
        this.log10 = log10;
        this.perSequence = perSequence;
    }

    /** Name used in tables, manifests and configs. */
    public String key() {
        return key;
    }

    /** True when recorded values are log10 of a norm or gain; false for plain values (forget). */
    public boolean isLog10() {
        return log10;
    }

    /** True when recorded once per sequence and step; false when once per batch and step. */
    public boolean isPerSequence() {
        return perSequence;
    }

    /** True when the probe exists for the given cell. */
    public boolean appliesTo(CellType cell) {
        return cell == CellType.LSTM || this == DH || this == DWH_STEP;
    }
}
