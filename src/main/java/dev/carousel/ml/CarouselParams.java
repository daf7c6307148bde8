package dev.carousel.ml;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The params {@link CarouselEstimator} and {@link CarouselModel} share: one typed param per run-config key (see
 * {@link ParamTable} for names, defaults and validation) and the column params. A fitted model carries its
 * estimator's values.
 */
public interface CarouselParams extends Params {

    /** Origin the resolved config's errors name, as the CLI names {@code --set} values. */
    String PARAMS_ORIGIN = "Spark ML params";

    /** The generated params of this instance. */
    ParamTable table();

    /** The param of run-config key {@code configKey} (e.g. {@code model.forget-gate.bias}). */
    default Param<?> param(String configKey) {
        return table().forKey(configKey);
    }

    /** The param of a real-valued key, e.g. for {@code ParamGridBuilder.addGrid(DoubleParam, double[])}. */
    default DoubleParam doubleParam(String configKey) {
        return typed(configKey, DoubleParam.class);
    }

    /** The param of an integer key. */
    default IntParam intParam(String configKey) {
        return typed(configKey, IntParam.class);
    }

    /** The param of a 64-bit integer key ({@code seed}). */
    default LongParam longParam(String configKey) {
        return typed(configKey, LongParam.class);
    }

    /** The param of a boolean key. */
    default BooleanParam booleanParam(String configKey) {
        return typed(configKey, BooleanParam.class);
    }

    /** The param of a key whose value is a name or a string. */
    @SuppressWarnings("unchecked")
    default Param<String> stringParam(String configKey) {
        Param<?> p = param(configKey);
        if (p instanceof DoubleParam || p instanceof IntParam || p instanceof LongParam || p instanceof BooleanParam) {
            throw new IllegalArgumentException(configKey + " is a " + p.getClass().getSimpleName() + ", not a string param");
        }
        return (Param<String>) p;
    }

    private <P> P typed(String configKey, Class<P> type) {
        Param<?> p = param(configKey);
        if (!type.isInstance(p)) {
            throw new IllegalArgumentException(configKey + " is a " + p.getClass().getSimpleName() + ", not a "
                    + type.getSimpleName());
        }
        return type.cast(p);
    }

    /** Run-config keys that have a param, in the order of {@code carousel-defaults.conf}. */
    default List<String> configKeys() {
        return table().keys();
    }

    /** The run-config key of {@code param}, or null for a column param. */
    default String configKey(Param<?> param) {
        return table().configKey(param.name());
    }

    /** The value (set or default) of run-config key {@code configKey}. */
    default Object getConfig(String configKey) {
        return getOrDefault(param(configKey));
    }

    /**
     * The run config these params describe, resolved and checked as the CLI resolves a config with {@code --set}
     * overrides; its data section names the DataFrame ({@code data.format = parquet}, the layout its columns follow).
     *
     * @throws IllegalArgumentException with the CLI's one-line message, for values that do not go together
     */
    default CarouselConfig runConfig() {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String key : table().keys()) {
            overrides.put(key, ParamTable.text(getConfig(key)));
        }
        overrides.put("data.format", "parquet");
        overrides.put("data.path", ParamTable.text("DataFrame"));
        try {
            return ConfigLoader.load("", PARAMS_ORIGIN, overrides);
        } catch (ConfigError e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    default Param<String> featuresCol() {
        return table().featuresCol;
    }

    default Param<String> labelCol() {
        return table().labelCol;
    }

    default Param<String> predictionCol() {
        return table().predictionCol;
    }

    default Param<String> probesCol() {
        return table().probesCol;
    }

    default String getFeaturesCol() {
        return getOrDefault(featuresCol());
    }

    default String getLabelCol() {
        return getOrDefault(labelCol());
    }

    default String getPredictionCol() {
        return getOrDefault(predictionCol());
    }

    default String getProbesCol() {
        return getOrDefault(probesCol());
    }
}
