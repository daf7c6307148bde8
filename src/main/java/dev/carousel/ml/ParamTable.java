package dev.carousel.ml;

import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigKey;
import dev.carousel.config.ConfigLoader;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import scala.runtime.AbstractFunction1;

/**
 * The Spark ML params of one {@link CarouselEstimator} or {@link CarouselModel}, generated from the run-config key
 * table ({@link ConfigLoader#keys()}): one typed param per key ({@code int} keys an {@link IntParam}, 64-bit ones a
 * {@link LongParam}, numbers a {@link DoubleParam}, booleans a {@link BooleanParam}, names and strings a
 * {@code Param<String>}), with the key's default from {@code carousel-defaults.conf}, plus the column params.
 *
 * <p><b>Names.</b> MLlib names a param like the Java method that returns it, an identifier, so a key's param name is
 * its path in camel case: each segment after a '.' or '-' starts upper case ({@code model.forget-gate.bias} →
 * {@code modelForgetGateBias}); {@link #configKey} maps back. The two keys that locate a file dataset,
 * {@code data.format} and {@code data.path}, have no param: the DataFrame given to {@code fit} is the data.
 *
 * <p><b>Validation.</b> A value is checked when it is set, by the CLI's own check of {@code --set key=value}
 * ({@link ConfigLoader#checkValue}); a bad one raises an {@link IllegalArgumentException} carrying the CLI's
 * one-line message. Checks across keys (a temporal-order task's length, the sizes' product) run on the whole
 * config in {@code fit} and {@code transformSchema}, again with the CLI's messages.
 */
public final class ParamTable implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Run-config keys without a param: they locate a file dataset, which a DataFrame replaces. */
    static final Set<String> DATA_SOURCE_KEYS = Set.of("data.format", "data.path");

    private final Map<String, Param<?>> byKey = new LinkedHashMap<>();
    private final Map<String, String> keyByName = new LinkedHashMap<>();
    private final Map<Param<?>, Object> defaults = new LinkedHashMap<>();
    final Param<String> featuresCol;
    final Param<String> labelCol;
    final Param<String> predictionCol;
    final Param<String> probesCol;
    private final Param<?>[] all;

    ParamTable(String uid) {
        List<Param<?>> params = new ArrayList<>();
        for (ConfigKey key : ConfigLoader.keys()) {
            if (DATA_SOURCE_KEYS.contains(key.path())) {
                continue;
            }
            Param<?> p = param(uid, key);
            byKey.put(key.path(), p);
            keyByName.put(p.name(), key.path());
            defaults.put(p, key.defaultValue());
            params.add(p);
        }
        featuresCol = column(uid, "featuresCol", "sequences, array<array<float|double>> shaped [T][I] "
                + "(the Parquet dataset layout's features)");
        labelCol = column(uid, "labelCol", "what to predict: array<float|double> (a regression target of "
                + "O values, the Parquet layout's target), float|double (a target of one value) or an integer type (a "
                + "class label); needed by fit, and by transform only for probes");
        predictionCol = column(uid, "predictionCol", "output of transform: double (one regression "
                + "value, or the class index) or array<double> (O regression values)");
        probesCol = column(uid, "probesCol", "output of transform for per-sequence gradient-flow probes against "
                + "the label (struct of arrays [T]: dh, dc, forget, path_gain; docs/science.md); empty: none");
        params.addAll(List.of(featuresCol, labelCol, predictionCol, probesCol));
        all = params.toArray(new Param<?>[0]);
    }

    /** Every param, run-config keys in the order of the defaults file, then the columns. */
    Param<?>[] all() {
        return all.clone();
    }

    /** Sets every param's default on {@code owner}, whose uid the params were made for. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void setDefaults(Params owner) {
        defaults.forEach((p, v) -> owner.setDefault((Param) p, v));
        owner.setDefault(featuresCol, "features");
        owner.setDefault(labelCol, "label");
        owner.setDefault(predictionCol, "prediction");
        owner.setDefault(probesCol, "");
    }

    /** The param of run-config key {@code key}. */
    Param<?> forKey(String key) {
        Param<?> p = byKey.get(key);
        if (p == null) {
            String hint = DATA_SOURCE_KEYS.contains(key) ? "the DataFrame given to fit is the data"
                    : ConfigLoader.closestKey(key).map(k -> "did you mean " + k + "?").orElse("valid keys: "
                    + String.join(", ", byKey.keySet()));
            throw new IllegalArgumentException(key + ": no such run-config param; " + hint);
        }
        return p;
    }

    /** {@link #forKey} as a raw param, for setting a value already coerced to the key's type. */
    @SuppressWarnings("unchecked")
    Param<Object> forKeyUntyped(String key) {
        return (Param<Object>) forKey(key);
    }

    /** {@code value} as the Java type of {@code p}: an int for 3.0 on an int param, a double for 3 on a real one. */
    static Object coerce(Param<?> p, Object value) {
        if (value instanceof Number n) {
            if (p instanceof DoubleParam) {
                return n.doubleValue();
            }
            if (p instanceof LongParam && n.doubleValue() == n.longValue()) {
                return n.longValue();
            }
            if (p instanceof IntParam && n.doubleValue() == n.intValue()) {
                return n.intValue();
            }
        }
        return value;
    }

    /** Run-config key paths with a param, in the order of the defaults file. */
    List<String> keys() {
        return List.copyOf(byKey.keySet());
    }

    /** The run-config key of param name {@code name}, or null for a column param. */
    String configKey(String name) {
        return keyByName.get(name);
    }

    /** A key path in camel case: {@code model.forget-gate.bias} → {@code modelForgetGateBias}. */
    static String paramName(String key) {
        StringBuilder b = new StringBuilder();
        boolean upper = false;
        for (char c : key.toCharArray()) {
            if (c == '.' || c == '-') {
                upper = true;
            } else {
                b.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return b.toString();
    }

    /** A param value as the text of {@code --set key=TEXT}: numbers as Java prints them, strings quoted. */
    static String text(Object value) {
        if (value instanceof String s) {
            return com.typesafe.config.ConfigUtil.quoteString(s);
        }
        return String.valueOf(value);
    }

    private static Param<?> param(String uid, ConfigKey key) {
        String name = paramName(key.path());
        String doc = "run-config key " + key.path() + ": " + key.accepted();
        Check check = new Check(key.path());
        return switch (key.type()) {
            case INT -> new IntParam(uid, name, doc, check);
            case LONG -> new LongParam(uid, name, doc, check);
            case REAL -> new DoubleParam(uid, name, doc, check);
            case BOOL -> new BooleanParam(uid, name, doc);
            case CHOICE, STRING, PROBES -> new Param<String>(uid, name, doc, stringCheck(check));
        };
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static scala.Function1<String, Object> stringCheck(Check check) {
        return (scala.Function1) check;
    }

    private static Param<String> column(String uid, String name, String doc) {
        return new Param<>(uid, name, doc);
    }

    /**
     * A param's validator: the CLI's check of the value as an override. It throws rather than answering false so
     * that the error carries the CLI's message instead of MLlib's generic "given invalid value".
     */
    private static final class Check extends AbstractFunction1<Object, Object> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String key;

        Check(String key) {
            this.key = key;
        }

        @Override
        public Object apply(Object value) {
            if (value == null) {
                throw new IllegalArgumentException(key + " = null: expected a value");
            }
            try {
                ConfigLoader.checkValue(key, text(value));
            } catch (ConfigError e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            return Boolean.TRUE;
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ParamTable[%d run-config params]", byKey.size());
    }
}
