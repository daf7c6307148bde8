package dev.carousel.nn;

/**
 * How the recurrent weights W_h: [H, G] are drawn at initialisation, G = 4H for the LSTM and H for the
 * tanh-RNN. Both are scaled by {@code model.rnn-gain}. Gradient profiles at initialisation depend strongly
 * on this choice, which is why every report names it (docs/science.md, "Initialisations").
 */
public enum RecurrentInit {
    /**
     * Each H×H block (one per gate for the LSTM, the whole matrix for the RNN) is gain·Q with Q Haar-random
     * orthogonal (Saxe et al. 2014; Le et al. 2015): every singular value equals the gain, so the gain is
     * exactly the spectral radius that decides vanishing or exploding in a tanh-RNN (Pascanu et al. 2013).
     */
    ORTHOGONAL("gain*orthogonal recurrent blocks"),

    /**
     * Glorot-uniform over the whole matrix, U(±gain·√(6/(H+G))) (Glorot &amp; Bengio 2010). For the LSTM
     * each gate block then has spectral radius about 0.5·gain rather than 1·gain, so paths through h add
     * less gain going back in time: this is the scheme of the calibration run in docs/science.md, whose profiles the
     * built-in experiments reproduce (with orthogonal blocks, bias 1 decays ~0.1 at lag 50, not ~8e-4).
     */
    GLOROT("gain*glorot-uniform recurrent matrix");

    private final String description;

    RecurrentInit(String description) {
        this.description = description;
    }

    /** Config spelling: orthogonal | glorot. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The whole initialisation scheme in one line, for reports. */
    public String scheme() {
        return "uniform(1/sqrt(H)) inputs and head, " + description + ", zero biases";
    }
}
