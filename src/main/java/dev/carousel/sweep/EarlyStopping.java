package dev.carousel.sweep;

/**
 * The median stopping rule (Golovin et al. 2017, "Google Vizier", §3.2.2), off unless a sweep spec asks for it
 * with {@code early-stopping { rule = median, grace-updates = G, min-cells = M }}.
 *
 * <p>At an evaluation at update u ≥ G, a running cell stops if its best validation loss so far is worse than the
 * median, over the cells of the same task and sequence length already committed (at least M of them), of their
 * running mean validation loss over evaluations up to u. Which cells are committed when a cell starts depends on
 * timing, so a sweep with the rule on is not reproducible cell by cell; that is why it is off by default. Every
 * decision is recorded in the cell's {@code runs} row ({@code stopped_by}).
 *
 * @param enabled      whether the rule applies
 * @param graceUpdates no cell stops before this many updates
 * @param minCells     the rule applies only once this many comparable cells are committed
 */
public record EarlyStopping(boolean enabled, long graceUpdates, int minCells) implements java.io.Serializable {

    /** No early stopping: every cell runs all its updates. */
    public static final EarlyStopping OFF = new EarlyStopping(false, 0, 0);

    public EarlyStopping {
        if (graceUpdates < 0 || minCells < 0) {
            throw new IllegalArgumentException("graceUpdates and minCells must be >= 0");
        }
    }
}
