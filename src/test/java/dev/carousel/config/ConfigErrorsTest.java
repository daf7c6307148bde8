package dev.carousel.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every class of bad configuration is rejected with one line naming where (bad.conf:3), the key, the bad
 * value and what is accepted. Each case puts the offending setting on line 3 of a file.
 */
class ConfigErrorsTest {

    @TempDir
    Path dir;

    /** Loads a file whose third line is {@code line}, expecting rejection; checks the common message shape. */
    private String reject(String line, String key) {
        Path file = dir.resolve("bad.conf");
        try {
            Files.writeString(file, "# a run\nseed = 7\n" + line + "\n");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        ConfigError e = assertThrows(ConfigError.class, () -> ConfigLoader.load(file));
        return assertOneLine(e, key, "bad.conf:3: ");
    }

    private static String assertOneLine(ConfigError e, String... fragments) {
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r"), () -> "not one line: " + m);
        for (String fragment : fragments) {
            assertTrue(m.contains(fragment), () -> "no '" + fragment + "' in: " + m);
        }
        return m;
    }

    private static void assertContains(String message, String fragment) {
        assertTrue(message.contains(fragment), () -> "no '" + fragment + "' in: " + message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "model.hiden = 3                 | model.hiden                   | did you mean model.hidden?",
            "task.lenght = 3                 | task.lenght                   | did you mean task.length?",
            "optimizer.learning_rate = 0.1   | optimizer.learning_rate       | did you mean optimizer.learning-rate?",
            "sed = 3                         | sed                           | did you mean seed?",
            "model.batch-size = 3            | model.batch-size              | did you mean training.batch-size?",
            "model.forget-gate.biass = 1     | model.forget-gate.biass       | did you mean model.forget-gate.bias?",
            "model.zzzzzzzz = 1              | model.zzzzzzzz                | valid keys of model: cell, hidden, forget-gate, rnn-gain, recurrent-init, precision",
            "model.hidden.units = 1          | model.hidden                  | wrong type; expected an integer in [1, 65536]",
            "zzzzzzzz { a = 1 }              | zzzzzzzz                      | valid top-level keys: seed, task, model, optimizer, training, probes"})
    void unknownKeyIsRejectedWithASuggestion(String line, String key, String hint) {
        String m = reject(line, key);
        assertContains(m, hint);
        if (!hint.startsWith("wrong type")) {
            assertContains(m, key + ": unknown key");
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "model.hidden = \"abc\"         | model.hidden = \"abc\": wrong type; expected an integer in [1, 65536]",
            "model.hidden = abc             | model.hidden = \"abc\": wrong type",
            "model.hidden = 1.5             | model.hidden = 1.5: not an integer; expected an integer in [1, 65536]",
            "model.hidden { a = 1 }         | model.hidden = {\"a\":1}: wrong type",
            "model.hidden = [1, 2]          | model.hidden = [1,2]: wrong type",
            "model.hidden = null            | model.hidden = null: wrong type",
            "optimizer.learning-rate = fast | optimizer.learning-rate = \"fast\": wrong type; expected a number in (0, 10]",
            "probes.enabled = maybe         | probes.enabled = \"maybe\": wrong type; expected true or false",
            "seed = 0.5                     | seed = 0.5: not an exact integer",
            "model = 5                      | model = 5: wrong type; expected a section with keys cell, hidden"})
    void wrongTypeIsRejected(String line, String expected) {
        reject(line, expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "65537"})
    void hiddenOutOfRangeIsRejected(String value) {
        reject("model.hidden = " + value,
                "model.hidden = " + value + ": out of range; expected an integer in [1, 65536]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "-5", "100001"})
    void taskLengthOutOfRangeIsRejected(String value) {
        reject("task.length = " + value, "task.length = " + value + ": out of range; expected an integer in [2, 100000]");
    }

    /** Each size key in range, their product past int indexing: the error names the keys, the array and the limit. */
    @Test
    void sizesWhoseArraysOverflowIntIndexingAreRejected() {
        String m = reject("model { hidden = 65536 }, task.length = 100000",
                "model.hidden = 65536, task.length = 100000, training.batch-size = 32: the gate pre-activations z "
                        + "[T·B, G] would hold 838,860,800,000 elements");
        assertContains(m, "more than the 2,147,483,639 one array can index");
        // One sequence of two steps still needs θ = [4H·(I + H + 1) + H·O + O] ≈ 1.7e10 elements.
        assertContains(reject("model.hidden = 65536, task.length = 2, training.batch-size = 1", "parameters θ [P_θ]"),
                "expected a smaller model.hidden, task.length or training.batch-size");
        // The override the user typed is named, not the file's or the defaults' line.
        ConfigError e = assertThrows(ConfigError.class, () -> ConfigLoader.load(dir.resolve("bad.conf"),
                java.util.Map.of("training.batch-size", "65536", "task.length", "100000")));
        assertOneLine(e, "command-line override: model.hidden = 65536");
    }

    @Test
    void temporalOrderNeedsLengthTen() {
        reject("task { name = temporal-order, length = 9 }",
                "task.length = 9: too short for task.name = temporal-order; expected an integer in [10, 100000]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-0.001", "10.5"})
    void learningRateOutOfRangeIsRejected(String value) {
        reject("optimizer.learning-rate = " + value,
                "optimizer.learning-rate = " + value + ": out of range; expected a number in (0, 10]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "Infinity", "-Infinity"})
    void nonFiniteBiasIsRejected(String value) {
        reject("model.forget-gate.bias = \"" + value + "\"", "model.forget-gate.bias = \"" + value
                + "\": not a finite number; expected any finite number");
    }

    @ParameterizedTest
    @CsvSource({"0, learned", "1.5, learned", "0, fixed", "1.5, fixed", "-0.5, fixed"})
    void fixedValueOutsideZeroOneIsRejectedWhateverTheMode(String value, String mode) {
        // Keys of unselected modes are still checked: a typo there would surface only when the mode changes.
        reject("model.forget-gate { mode = " + mode + ", value = " + value + " }",
                "model.forget-gate.value = " + value + ": out of range; expected a number in (0, 1]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "-1", "1000001"})
    void chronoTmaxOutOfRangeIsRejected(String value) {
        reject("model.forget-gate.tmax = " + value, "model.forget-gate.tmax = " + value
                + ": out of range; expected 0 (meaning task.length) or an integer in [2, 1000000]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-0.5"})
    void negativeClipNormIsRejected(String value) {
        reject("optimizer.clip-norm = " + value,
                "optimizer.clip-norm = " + value + ": out of range; expected a number >= 0 (0 = off)");
    }

    @ParameterizedTest
    @CsvSource({"beta1, 1", "beta1, -0.1", "beta2, 1.000001", "beta2, 1.5", "momentum, 1", "rho, 2"})
    void decayRatesMustBeBelowOne(String key, String value) {
        reject("optimizer." + key + " = " + value,
                "optimizer." + key + " = " + value + ": out of range; expected a number in [0, 1)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "training.eval-every = 0   | training.eval-every = 0: out of range; expected an integer >= 1",
            "probes.every = -3         | probes.every = -3: out of range; expected an integer >= 1",
            "probes.set = \"dh dhh\"   | probes.set = \"dh dhh\": unknown probe dhh; expected probe names separated by spaces or commas, from dh, dc, forget, path_gain, dwh_step, dc_carousel, dc_via_i, dc_via_f, dc_via_g, dc_via_o, dc_share, dc_agreement, dc_cosine, or all",
            "probes.set = \", \"       | probes.set = \", \": no probe named (set probes.enabled = false to record none); expected probe names separated by spaces or commas, from dh, dc, forget, path_gain, dwh_step, dc_carousel, dc_via_i, dc_via_f, dc_via_g, dc_via_o, dc_share, dc_agreement, dc_cosine, or all",
            "training.batch-size = 0   | training.batch-size = 0: out of range; expected an integer in [1, 65536]",
            "training.updates = -1     | training.updates = -1: out of range; expected an integer in [0, 100000000]",
            "model.rnn-gain = -1       | model.rnn-gain = -1: out of range; expected a number in [0, 100]",
            "optimizer.epsilon = 0     | optimizer.epsilon = 0: out of range; expected a number in (0, 1]",
            "task.validation-sequences = 0 | task.validation-sequences = 0: out of range; expected an integer in [1, 10000000]"})
    void otherCountsAndScalesOutOfRangeAreRejected(String line, String expected) {
        reject(line, expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "task.name = adding2              | task.name = \"adding2\": unknown value; expected one of adding, copy, temporal-order",
            "model.cell = gru                 | model.cell = \"gru\": unknown value; expected one of lstm, rnn",
            "model.forget-gate.mode = learnt  | model.forget-gate.mode = \"learnt\": unknown value; expected one of learned, chrono, uniform, fixed, none",
            "model.precision = float16        | model.precision = \"float16\": unknown value; expected one of float32, float64",
            "optimizer.name = adagrad         | optimizer.name = \"adagrad\": unknown value; expected one of sgd, adam, rmsprop",
            "optimizer.name = 3               | optimizer.name = 3: unknown value; expected one of sgd, adam, rmsprop"})
    void unknownEnumValueIsRejectedListingTheAcceptedNames(String line, String expected) {
        reject(line, expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"model.hidden = = 3", "task.name = adding }", "model { hidden = 3 ]"})
    void syntaxErrorIsOneLineWithFileAndLine(String line) {
        reject(line, "syntax error: ");
    }

    @Test
    void unclosedSectionIsReportedAtTheEndOfTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("open.conf"), "model {\n  hidden = 3\n");
        ConfigError e = assertThrows(ConfigError.class, () -> ConfigLoader.load(file));
        assertOneLine(e, "open.conf:3: syntax error: ");
    }

    @Test
    void unresolvedSubstitutionIsOneLineWithFileAndLine() {
        reject("model.hidden = ${model.width}", "${model.width}");
    }

    @Test
    void missingFileNamesThePath() {
        Path missing = dir.resolve("nowhere/sweep.conf");
        ConfigError e = assertThrows(ConfigError.class, () -> ConfigLoader.load(missing));
        assertOneLine(e, missing.toString(), "not found");
    }

    @Test
    void directoryInsteadOfFileNamesThePath() {
        ConfigError e = assertThrows(ConfigError.class, () -> ConfigLoader.load(dir));
        assertOneLine(e, dir.toString(), "is a directory; expected a HOCON config file");
    }

    @Test
    void badOverrideNamesTheOverrideAndTheKey() throws IOException {
        Path file = Files.writeString(dir.resolve("ok.conf"), "model.hidden = 32\n");
        ConfigError wrongType = assertThrows(ConfigError.class,
                () -> ConfigLoader.load(file, Map.of("model.hidden", "abc")));
        assertOneLine(wrongType, "command-line override: model.hidden = \"abc\": wrong type");
        ConfigError unknown = assertThrows(ConfigError.class,
                () -> ConfigLoader.load(file, Map.of("model.hiden", "3")));
        assertOneLine(unknown, "command-line override: model.hiden: unknown key; did you mean model.hidden?");
        ConfigError syntax = assertThrows(ConfigError.class,
                () -> ConfigLoader.load(file, Map.of("model.hidden", "{")));
        assertOneLine(syntax, "command-line override model.hidden={: syntax error: ");
        ConfigError path = assertThrows(ConfigError.class,
                () -> ConfigLoader.load(file, Map.of("model..hidden", "3")));
        assertOneLine(path, "model..hidden", "not a valid key path");
    }

    @Test
    void parsedTextNamesItsOriginDescription() {
        ConfigError e = assertThrows(ConfigError.class,
                () -> ConfigLoader.parse("\n\nmodel.hidden = 0\n", "sweep.conf"));
        assertEquals("sweep.conf:3: model.hidden = 0: out of range; expected an integer in [1, 65536]", e.getMessage());
    }

    @Test
    void multiLineCauseBecomesOneLine() {
        assertEquals("a b c", new ConfigError("a\n  b\r\nc\n").getMessage());
    }
}
