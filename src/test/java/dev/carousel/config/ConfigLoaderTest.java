package dev.carousel.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.carousel.config.CarouselConfig.OptimizerKind;
import dev.carousel.nn.CellType;
import dev.carousel.nn.ForgetGate;
import dev.carousel.nn.Precision;
import dev.carousel.nn.RecurrentInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading, resolution and writing back of valid configs. */
class ConfigLoaderTest {

    /** The values documented in carousel-defaults.conf (and in the brief), written out by hand. */
    private static final CarouselConfig DOCUMENTED = new CarouselConfig(42,
            new CarouselConfig.Task("adding", 50, 1000),
            new CarouselConfig.Model(CellType.LSTM, 64, new ForgetGate.Learned(1.0), 1.0, RecurrentInit.ORTHOGONAL, Precision.FLOAT32),
            new CarouselConfig.Optimizer(OptimizerKind.ADAM, 0.001, 0.9, 0.9, 0.999, 1e-8, 0.9, 0.0),
            new CarouselConfig.Training(32, 4000, 100),
            new CarouselConfig.Probes(true, 100, dev.carousel.nn.Probe.defaults()),
            new CarouselConfig.Distributed(1, 10, 2, CarouselConfig.OptimizerStateMode.AVERAGE, 0),
            new CarouselConfig.Data("generated", "", 0.1));

    private static CarouselConfig parse(String hocon) {
        return ConfigLoader.parse(hocon, "test.conf");
    }

    @Test
    void emptyConfigGivesTheDocumentedDefaults() {
        assertEquals(DOCUMENTED, parse(""));
        assertEquals(DOCUMENTED, ConfigLoader.fromConfig(ConfigFactory.empty()));
    }

    @Test
    void defaultsFileDocumentsExactlyTheKeysThatAreWrittenBack() {
        Config defaults = ConfigFactory.parseResources("carousel-defaults.conf");
        assertEquals(leafKeys(defaults), leafKeys(ConfigLoader.toConfig(DOCUMENTED)));
        assertEquals(35, leafKeys(defaults).size());
    }

    @Test
    void fileValuesWinOverDefaultsAndOverridesWinOverTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("run.conf");
        Files.writeString(file, """
                model.hidden = 32
                task { name = copy, length = 30 }
                optimizer.name = SGD
                """);
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("model.hidden", "128");
        overrides.put("task.name", "Temporal-Order");
        overrides.put("optimizer.epsilon", "1e-6");
        overrides.put("probes.enabled", "off");

        CarouselConfig c = ConfigLoader.load(file, overrides);

        assertEquals(128, c.model().hidden());
        assertEquals("temporal-order", c.task().name());
        assertEquals(30, c.task().length(), "file value kept where not overridden");
        assertEquals(OptimizerKind.SGD, c.optimizer().kind());
        assertEquals(1e-6, c.optimizer().epsilon());
        assertEquals(false, c.probes().enabled());
        assertEquals(32, ConfigLoader.load(file).model().hidden());
    }

    @Test
    void overrideValuesUseHoconSyntaxIncludingSubstitutions(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("run.conf");
        Files.writeString(file, "task.length = 77\n");
        CarouselConfig c = ConfigLoader.load(file, Map.of("model.hidden", "${task.length}",
                "model.forget-gate", "{ mode = fixed, value = 0.5 }"));
        assertEquals(77, c.model().hidden());
        assertEquals(new ForgetGate.Fixed(0.5), c.model().forgetGate());
    }

    @ParameterizedTest
    @CsvSource({"50, 0, 50", "77, 0, 77", "77, 500, 500", "10, 2, 2"})
    void chronoTmaxZeroResolvesToTaskLength(int length, int tmax, int expected) {
        CarouselConfig c = parse("model.forget-gate { mode = chrono, tmax = " + tmax + " }\ntask.length = " + length);
        assertEquals(new ForgetGate.Chrono(expected), c.model().forgetGate());
        assertEquals(expected, ConfigLoader.toConfig(c).getInt("model.forget-gate.tmax"), "written back explicit");
    }

    static Stream<Arguments> gateModes() {
        return Stream.of(
                Arguments.of("mode = learned, bias = 2.5, value = 0.3", new ForgetGate.Learned(2.5)),
                Arguments.of("mode = LEARNED", new ForgetGate.Learned(1.0)),
                Arguments.of("mode = learned, bias = -3", new ForgetGate.Learned(-3.0)),
                Arguments.of("mode = chrono, tmax = 300, bias = 9", new ForgetGate.Chrono(300)),
                Arguments.of("mode = Uniform", new ForgetGate.Uniform()),
                Arguments.of("mode = fixed, value = 0.5, bias = 7", new ForgetGate.Fixed(0.5)),
                Arguments.of("mode = fixed", new ForgetGate.Fixed(1.0)),
                Arguments.of("mode = none", new ForgetGate.None()));
    }

    @ParameterizedTest
    @MethodSource("gateModes")
    void eachForgetGateModeBuildsItsGate(String settings, ForgetGate expected) {
        assertEquals(expected, parse("model.forget-gate { " + settings + " }").model().forgetGate());
    }

    static Stream<String> variedConfigs() {
        return Stream.of(
                "",
                "model.forget-gate.mode = chrono",
                "model.forget-gate { mode = fixed, value = 0.25 }",
                "model.forget-gate { mode = learned, bias = -0.5 }",
                "model.forget-gate.mode = uniform\nmodel.cell = RNN\nmodel.precision = Float64",
                "model.forget-gate.mode = none\noptimizer { name = rmsprop, rho = 0.95, clip-norm = 1.5 }",
                "seed = -9000000000000\ntask { name = copy, length = 2, validation-sequences = 1 }",
                "training { batch-size = 1, updates = 0, eval-every = 7 }\nprobes { enabled = false, every = 3 }",
                "optimizer { name = sgd, learning-rate = 10, momentum = 0, beta1 = 0, beta2 = 0.5, epsilon = 1 }");
    }

    @ParameterizedTest
    @MethodSource("variedConfigs")
    void toConfigRoundTrips(String hocon) {
        CarouselConfig c = parse(hocon);
        Config written = ConfigLoader.toConfig(c);
        assertEquals(c, ConfigLoader.fromConfig(written));
        assertEquals(c, ConfigLoader.parse(written.root().render(), "written"), "survives rendering as text");
        assertEquals(ConfigLoader.canonical(c), ConfigLoader.canonical(ConfigLoader.fromConfig(written)));
    }

    @Test
    void canonicalIsSortedCompactJsonWithEveryKey() {
        assertEquals("{\"data\":{\"format\":\"generated\",\"path\":\"\",\"validation-fraction\":0.1},"
                        + "\"distributed\":{\"aggregation-depth\":2,\"checkpoint-every\":0,\"local-steps\":10,"
                        + "\"optimizer-state\":\"average\",\"partitions\":1},"
                        + "\"model\":{\"cell\":\"lstm\",\"forget-gate\":{\"bias\":1.0,\"mode\":\"learned\",\"tmax\":0,"
                        + "\"value\":1.0},\"hidden\":64,\"precision\":\"float32\",\"recurrent-init\":\"orthogonal\",\"rnn-gain\":1.0},"
                        + "\"optimizer\":{\"beta1\":0.9,\"beta2\":0.999,\"clip-norm\":0.0,\"epsilon\":1.0E-8,"
                        + "\"learning-rate\":0.001,\"momentum\":0.9,\"name\":\"adam\",\"rho\":0.9},"
                        + "\"probes\":{\"enabled\":true,\"every\":100,\"set\":\"dh dc forget path_gain\"},\"seed\":42,"
                        + "\"task\":{\"length\":50,\"name\":\"adding\",\"validation-sequences\":1000},"
                        + "\"training\":{\"batch-size\":32,\"eval-every\":100,\"updates\":4000}}",
                ConfigLoader.canonical(DOCUMENTED));
    }

    @Test
    void hashIsSixteenHexDigitsAndEqualForEqualConfigs() {
        String h = ConfigLoader.hash(DOCUMENTED);
        assertTrue(h.matches("[0-9a-f]{16}"), h);
        // Different spellings of the same configuration.
        assertEquals(h, ConfigLoader.hash(parse("seed = 42\nmodel.hidden = 64.0\noptimizer.name = ADAM")));
        assertEquals(h, ConfigLoader.hash(parse("model.forget-gate { tmax = 123, value = 0.5 }")), "unused gate keys");
        assertEquals(h, ConfigLoader.hash(ConfigLoader.fromConfig(
                ConfigFactory.empty().withValue("optimizer.clip-norm", ConfigValueFactory.fromAnyRef(-0.0)))));
        assertEquals(ConfigLoader.hash(parse("model.forget-gate.mode = chrono")),
                ConfigLoader.hash(parse("model.forget-gate { mode = chrono, tmax = 50 }")), "tmax 0 resolved");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "seed = 43",
            "task.name = copy",
            "task.length = 51",
            "task.validation-sequences = 999",
            "model.cell = rnn",
            "model.hidden = 65",
            "model.forget-gate.mode = uniform",
            "model.forget-gate.bias = 1.0000001",
            "model.forget-gate { mode = chrono, tmax = 51 }",
            "model.forget-gate { mode = fixed, value = 0.999 }",
            "model.rnn-gain = 1.1",
            "model.recurrent-init = glorot",
            "model.precision = float64",
            "optimizer.name = sgd",
            "optimizer.learning-rate = 0.002",
            "optimizer.momentum = 0.8",
            "optimizer.beta1 = 0.8",
            "optimizer.beta2 = 0.99",
            "optimizer.epsilon = 1e-7",
            "optimizer.rho = 0.8",
            "optimizer.clip-norm = 1",
            "training.batch-size = 31",
            "training.updates = 4001",
            "training.eval-every = 99",
            "probes.enabled = false",
            "probes.every = 99"})
    void anyChangedValueChangesTheHash(String change) {
        CarouselConfig changed = parse(change);
        assertNotEquals(DOCUMENTED, changed);
        assertNotEquals(ConfigLoader.hash(DOCUMENTED), ConfigLoader.hash(changed));
    }

    @Test
    void chronoAndFixedDifferFromEachOtherInHashWhenOtherwiseEqual() {
        // The mode is part of the hash, not only the mode's own parameter.
        assertNotEquals(ConfigLoader.hash(parse("model.forget-gate.mode = uniform")),
                ConfigLoader.hash(parse("model.forget-gate.mode = none")));
    }

    private static Set<String> leafKeys(Config config) {
        return config.entrySet().stream().map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
    }
}
