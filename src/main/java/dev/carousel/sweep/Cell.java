package dev.carousel.sweep;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One cell of a sweep: a fully resolved run configuration, its id and the values of the sweep's axes in it.
 *
 * @param id     {@link ConfigLoader#hash} of {@code config}: equal configs are one cell, and a cell keeps its id
 *               when other axis values are added to the spec
 * @param config the resolved, validated config
 * @param axes   axis key to its resolved value (Integer, Long, Double, Boolean or String as in
 *               {@link ConfigLoader#toConfig}), in the sweep's column order; an axis the config ignores (forget-gate
 *               keys of an RNN, {@code bias} unless mode = learned, {@code tmax} unless chrono, {@code value}
 *               unless fixed) is absent
 */
public record Cell(String id, CarouselConfig config, Map<String, Object> axes) {

    public Cell {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(config, "config");
        axes = Collections.unmodifiableMap(new LinkedHashMap<>(axes));
    }

    /** Estimated FLOPs of the whole run (matrix products only; see {@link CostEstimate}); NaN for file datasets. */
    public double estimatedFlops() {
        return CostEstimate.flops(config);
    }

    /** A short label: {@code key=value} of every axis, comma-separated, e.g. {@code model.cell=lstm, seed=1}. */
    public String label() {
        return axes.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }
}
