package dev.carousel.sweep;

import java.util.Locale;

/**
 * How a sweep's cells are laid out on Spark (docs/architecture.md).
 * <ul>
 *   <li>{@link #CONFIG_PARALLEL}: each cell trained whole inside one Spark task, as many cells at once as there
 *       are task slots: right for many small models, and no per-round broadcast or aggregation;</li>
 *   <li>{@link #DATA_PARALLEL}: each cell trained by rounds of parameter averaging over its
 *       {@code distributed.partitions} partitions, several cells at once in their own FAIR scheduler pools when
 *       the slots allow: right for large models, and the only way to honour {@code partitions > 1};</li>
 *   <li>{@link #AUTO}: data-parallel for the cells that ask for more than one partition, config-parallel for the
 *       others, and says why.</li>
 * </ul>
 * A cell with one partition gives bit-identical results under both.
 */
public enum Strategy {
    AUTO, CONFIG_PARALLEL, DATA_PARALLEL;

    /** The name as written on the command line: auto, config-parallel, data-parallel. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
