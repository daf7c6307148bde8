package dev.carousel.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.ForgetGate;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.junit.jupiter.api.Test;

/** MLlib's Params conventions on the generated run-config params, and the CLI's validation behind them. No Spark. */
class CarouselParamsTest {
    /** A bad value of a key's param type, and the same value as a command line writes it after --set KEY=. */
    record Bad(Object value, String text) {}

    /** Keys no value of their param's type can break: any 64-bit seed, either boolean. */
    static final Set<String> NO_BAD_VALUE = Set.of("seed", "probes.enabled");

    static final Map<String, Bad> BAD = new LinkedHashMap<>();

    static {
        BAD.put("task.name", new Bad("sorting", "sorting"));
        BAD.put("task.length", new Bad(1, "1"));
        BAD.put("task.validation-sequences", new Bad(0, "0"));
        BAD.put("model.cell", new Bad("gru", "gru"));
        BAD.put("model.hidden", new Bad(0, "0"));
        BAD.put("model.forget-gate.mode", new Bad("open", "open"));
        BAD.put("model.forget-gate.bias", new Bad(Double.NaN, "NaN"));
        BAD.put("model.forget-gate.tmax", new Bad(1, "1"));
        BAD.put("model.forget-gate.value", new Bad(0.0, "0.0"));
        BAD.put("model.rnn-gain", new Bad(101.0, "101"));
        BAD.put("model.recurrent-init", new Bad("xavier", "xavier"));
        BAD.put("model.precision", new Bad("float16", "float16"));
        BAD.put("optimizer.name", new Bad("lbfgs", "lbfgs"));
        BAD.put("optimizer.learning-rate", new Bad(0.0, "0"));
        BAD.put("optimizer.momentum", new Bad(1.0, "1"));
        BAD.put("optimizer.beta1", new Bad(-0.1, "-0.1"));
        BAD.put("optimizer.beta2", new Bad(Double.POSITIVE_INFINITY, "Infinity"));
        BAD.put("optimizer.epsilon", new Bad(2.0, "2"));
        BAD.put("optimizer.rho", new Bad(1.0, "1"));
        BAD.put("optimizer.clip-norm", new Bad(-1.0, "-1"));
        BAD.put("training.batch-size", new Bad(0, "0"));
        BAD.put("training.updates", new Bad(-1, "-1"));
        BAD.put("training.eval-every", new Bad(0, "0"));
        BAD.put("probes.every", new Bad(0, "0"));
        BAD.put("probes.set", new Bad("dh dhh", "\"dh dhh\""));
        BAD.put("distributed.partitions", new Bad(100_001, "100001"));
        BAD.put("distributed.local-steps", new Bad(0, "0"));
        BAD.put("distributed.aggregation-depth", new Bad(17, "17"));
        BAD.put("distributed.optimizer-state", new Bad("keep", "keep"));
        BAD.put("distributed.checkpoint-every", new Bad(-1, "-1"));
        BAD.put("data.validation-fraction", new Bad(1.0, "1"));
    }

    @Test
    void everyRunConfigKeyButTheDataLocationHasATypedParamNamedInCamelCase() {
        CarouselEstimator est = new CarouselEstimator();
        List<String> expected = ConfigLoader.keyPaths().stream()
                .filter(k -> !k.equals("data.format") && !k.equals("data.path")).toList();
        assertEquals(expected, est.configKeys());
        assertEquals(expected.size() + 4, est.params().length, "the keys' params and four column params");
        assertEquals("modelForgetGateBias", est.param("model.forget-gate.bias").name());
        assertEquals("distributed.optimizer-state", est.configKey(est.param("distributed.optimizer-state")));
        Set<String> names = new HashSet<>();
        for (String key : expected) {
            Param<?> p = est.param(key);
            assertTrue(p.name().matches("[a-z][A-Za-z0-9]*"), p.name());
            assertTrue(names.add(p.name()), "two keys map to " + p.name());
            assertEquals(key, est.configKey(p));
            assertEquals(p, est.getParam(p.name()), "MLlib finds it by name");
        }
        assertTrue(est.param("model.hidden") instanceof IntParam);
        assertTrue(est.param("seed") instanceof LongParam);
        assertTrue(est.param("optimizer.learning-rate") instanceof DoubleParam);
        assertTrue(est.param("probes.enabled") instanceof BooleanParam);
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class, () -> est.param("model.hiden"));
        assertEquals("model.hiden: no such run-config param; did you mean model.hidden?", typo.getMessage());
        IllegalArgumentException path = assertThrows(IllegalArgumentException.class, () -> est.param("data.path"));
        assertTrue(path.getMessage().contains("the DataFrame given to fit is the data"), path.getMessage());
    }

    @Test
    void estimatorDefaultsEqualCarouselDefaultsConf() {
        Config file = ConfigFactory.parseResources("carousel-defaults.conf");
        CarouselEstimator est = new CarouselEstimator();
        for (String key : est.configKeys()) {
            Param<?> p = est.param(key);
            assertTrue(est.hasDefault(p) && !est.isSet(p), key);
            Object expected = p instanceof IntParam ? (Object) file.getInt(key)
                    : p instanceof LongParam ? (Object) file.getLong(key)
                    : p instanceof DoubleParam ? (Object) file.getDouble(key)
                    : p instanceof BooleanParam ? (Object) file.getBoolean(key)
                    : file.getString(key);
            assertEquals(expected, est.getConfig(key), key);
        }
        assertEquals("features", est.getFeaturesCol());
        assertEquals("label", est.getLabelCol());
        assertEquals("prediction", est.getPredictionCol());
        assertEquals("", est.getProbesCol());
        // The resolved config is the defaults', with the DataFrame as its data.
        assertEquals(ConfigLoader.parse("data { format = parquet, path = DataFrame }", "defaults"), est.runConfig());
    }

    @Test
    void explainParamsDocumentsEveryParam() {
        CarouselEstimator est = new CarouselEstimator();
        String text = est.explainParams();
        for (Param<?> p : est.params()) {
            assertTrue(p.doc().length() > 20, p.name() + " has no real doc: " + p.doc());
            assertTrue(text.contains(p.name() + ": " + p.doc()), p.name() + " missing from explainParams");
        }
        assertTrue(text.contains("modelHidden: run-config key model.hidden: an integer in [1, 65536] (default: 64)"),
                text);
        assertEquals(est.params().length, text.lines().count(), "one line per param");
    }

    @Test
    void copyWithExtraParamsLeavesTheOriginalAlone() {
        CarouselEstimator est = new CarouselEstimator().setConfig("model.hidden", 16).setLabelCol("y");
        ParamMap extra = new ParamMap().put(est.doubleParam("model.forget-gate.bias"), 2.0);
        CarouselEstimator copy = est.copy(extra);
        assertNotSame(est, copy);
        assertEquals(est.uid(), copy.uid());
        assertEquals(2.0, copy.getConfig("model.forget-gate.bias"));
        assertEquals(16, copy.getConfig("model.hidden"));
        assertEquals("y", copy.getLabelCol());
        assertEquals(1.0, est.getConfig("model.forget-gate.bias"), "the original keeps its value");
        assertEquals(new ForgetGate.Learned(2.0), copy.runConfig().model().forgetGate());
        assertEquals(new ForgetGate.Learned(1.0), est.runConfig().model().forgetGate());
    }

    @Test
    void everyParamRejectsABadValueWithTheClisMessage() {
        CarouselEstimator est = new CarouselEstimator();
        Set<String> covered = new HashSet<>(BAD.keySet());
        covered.addAll(NO_BAD_VALUE);
        assertEquals(new HashSet<>(est.configKeys()), covered, "every param's key has a bad value here, or none exists");
        for (Map.Entry<String, Bad> e : BAD.entrySet()) {
            String key = e.getKey();
            Object before = est.getConfig(key);
            ConfigError cli = assertThrows(ConfigError.class,
                    () -> ConfigLoader.load("", "run.conf", Map.of(key, e.getValue().text())), key);
            IllegalArgumentException param = assertThrows(IllegalArgumentException.class,
                    () -> est.setConfig(key, e.getValue().value()), key);
            assertEquals(cli.getMessage(), param.getMessage(), key);
            assertTrue(param.getMessage().contains(key + " = "), param.getMessage());
            assertEquals(1, param.getMessage().lines().count());
            assertEquals(before, est.getConfig(key), key + " keeps its value");
        }
    }

    @Test
    void valuesThatDoNotGoTogetherFailTheWholeConfigWithTheClisMessage() {
        CarouselEstimator est = new CarouselEstimator().setConfig("task.name", "temporal-order")
                .setConfig("task.length", 5);
        ConfigError cli = assertThrows(ConfigError.class, () -> ConfigLoader.load("", "run.conf",
                Map.of("task.name", "temporal-order", "task.length", "5")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, est::runConfig);
        assertEquals(cli.getMessage(), e.getMessage());
        assertTrue(e.getMessage().contains("task.length = 5: too short for task.name = temporal-order"), e.getMessage());
    }
}
