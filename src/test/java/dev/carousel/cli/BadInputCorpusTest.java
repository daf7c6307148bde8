package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.carousel.spark.SparkSessionExtension;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.function.IntFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input corpus, {@code src/test/resources/bad/} (one line per case in its {@code README.md}), through
 * the real CLI in this JVM. Every case must:
 * <ol>
 *   <li>exit with {@link Main#BAD_INPUT} (2);</li>
 *   <li>print exactly one line on stderr, {@code carousel: ...}, containing the case's expected text: the
 *       file:line (or file and row) and key at fault, the bad value and what is accepted;</li>
 *   <li>fail before any work: nothing on stdout, and the {@code --out} folder of {@code train} unchanged, both
 *       when it does not exist and when it holds earlier results and a stale staging folder (same listing,
 *       same bytes);</li>
 *   <li>print no stack trace, and log nothing at WARN or above (the real CLI's log4j writes that to stderr too,
 *       Spark's task failures included: see {@link #cli}).</li>
 * </ol>
 * Run configs go through both {@code validate} and {@code train}; sweep specs through {@code validate}; a valid
 * file given to the other command ({@code misplaced/}) through {@code train} or {@code sweep}; data
 * files through {@code train bad/data/train-tiny.conf --set data.format=F --set data.path=FILE}. CSV, text and
 * HOCON cases are real files in the corpus; Parquet cases are written here at startup ({@link #writeParquet})
 * and cases that need a missing or unreadable path are made at run time.
 */
class BadInputCorpusTest {
    /** How a case is run. */
    enum Kind { CONFIG, SWEEP, DATA, TRAIN_ONLY, SWEEP_RUN }

    /**
     * One bad input.
     *
     * @param name     the corpus path (relative to {@code bad/}), or {@code parquet/NAME} for a generated Parquet
     *                 dataset, or {@code runtime/NAME} for a path made by the test
     * @param kind     how it is run
     * @param format   DATA: the {@code data.format} it is read as
     * @param set      extra {@code --set} overrides
     * @param expected texts the error line must contain, in order
     */
    record Case(String name, Kind kind, String format, List<String> set, List<String> expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case config(String name, String... expected) {
        return new Case("config/" + name, Kind.CONFIG, null, List.of(), List.of(expected));
    }

    static Case sweep(String name, String... expected) {
        return new Case("sweep/" + name, Kind.SWEEP, null, List.of(), List.of(expected));
    }

    static Case data(String name, String format, String... expected) {
        return new Case(name, Kind.DATA, format, List.of(), List.of(expected));
    }

    static final List<Case> CASES = List.of(
            // ---- run configs: unknown keys, wrong types, out-of-range values, HOCON syntax
            config("unknown-key.conf", "unknown-key.conf:3: model.hiden: unknown key; did you mean model.hidden?"),
            config("unknown-section.conf", "unknown-section.conf:2: optimiser: unknown key; did you mean optimizer?"),
            config("wrong-type-number.conf", "wrong-type-number.conf:2: model.hidden = \"sixty-four\": wrong type; "
                    + "expected an integer in [1, 65536]"),
            config("wrong-type-boolean.conf", "wrong-type-boolean.conf:2: probes.enabled = \"sometimes\": wrong type; "
                    + "expected true or false"),
            config("wrong-type-section.conf", "wrong-type-section.conf:2: training = 100: wrong type; "
                    + "expected a section with keys batch-size, updates, eval-every"),
            config("wrong-type-list.conf", "wrong-type-list.conf:2: training.batch-size = [16,32]: wrong type; "
                    + "expected an integer in [1, 65536]"),
            config("out-of-range-integer.conf", "out-of-range-integer.conf:2: training.batch-size = 0: out of range; "
                    + "expected an integer in [1, 65536]"),
            config("out-of-range-real.conf", "out-of-range-real.conf:3: model.forget-gate.value = 1.5: out of range; "
                    + "expected a number in (0, 1]"),
            config("out-of-range-negative.conf", "out-of-range-negative.conf:1: optimizer.learning-rate = -0.01: "
                    + "out of range; expected a number in (0, 10]"),
            config("not-an-integer.conf", "not-an-integer.conf:1: model.hidden = 12.5: not an integer; "
                    + "expected an integer in [1, 65536]"),
            config("nan-value.conf", "nan-value.conf:2: optimizer.clip-norm = \"NaN\": not a finite number; "
                    + "expected a number >= 0 (0 = off)"),
            config("infinite-value.conf", "infinite-value.conf:1: model.rnn-gain = \"Infinity\": not a finite number; "
                    + "expected a number in [0, 100]"),
            config("unknown-choice.conf", "unknown-choice.conf:1: model.cell = \"gru\": unknown value; expected one of lstm, rnn"),
            config("task-too-short.conf", "task-too-short.conf:3: task.length = 5: too short for task.name = temporal-order; "
                    + "expected an integer in [10, 100000]"),
            config("syntax-unclosed-brace.conf", "syntax-unclosed-brace.conf:4: syntax error: expecting a close brace "
                    + "'}' here, not: end of file"),
            config("syntax-double-equals.conf", "syntax-double-equals.conf:2: syntax error: Expecting a value but got "
                    + "wrong token: '='"),
            config("unresolved-substitution.conf", "unresolved-substitution.conf:1: Could not resolve substitution to a "
                    + "value: ${model.width}; expected a key set in this file or in carousel-defaults.conf, or an "
                    + "environment variable"),
            config("data-path-empty.conf", "data-path-empty.conf:2: data.path is empty: data.format = csv needs the path "
                    + "of a file or directory"),
            config("unknown-data-format.conf", "unknown-data-format.conf:2: data.format = \"json\": unknown value; "
                    + "expected one of generated, parquet, csv, text"),
            // each size key inside its range, their product past what one array can index
            config("overflow-hidden-length.conf", "overflow-hidden-length.conf:2: model.hidden = 65536, task.length = "
                    + "100000, training.batch-size = 32: the gate pre-activations z [T·B, G] would hold 838,860,800,000 "
                    + "elements (T = 100000, B = 32, I = 2, H = 65536, G = 262144, O = 1), more than the 2,147,483,639 "
                    + "one array can index; expected a smaller model.hidden, task.length or training.batch-size"),
            // within int indexing, past this JVM's memory (JavaCPP's off-heap limit defaults to the 4 GiB heap)
            config("memory-over-limit.conf", "memory-over-limit.conf: model.hidden = 4096, task.length = 1000, "
                    + "training.batch-size = 32: one training network needs at least 34.8 GiB off-heap against "
                    + "JavaCPP's limit of ", "(T = 1000, B = 32, I = 2, H = 4096, G = 16384, O = 1); expected a "
                    + "smaller model.hidden, task.length or training.batch-size, or more memory"),
            config("validation-fraction-one.conf", "validation-fraction-one.conf:4: data.validation-fraction = 1: "
                    + "out of range; expected a number in (0, 1)"),

            // ---- sweep specs: empty grids, duplicate axes, unknown axes, base files
            sweep("empty-grid-axis.conf", "empty-grid-axis.conf:3: grid.model.hidden = []: empty axis; "
                    + "expected at least one value"),
            sweep("empty-grid-section.conf", "empty-grid-section.conf:3: grid = {}: empty grid; "
                    + "expected at least one axis"),
            sweep("empty-choice.conf", "empty-choice.conf:4: random.axes.optimizer.name.values = []: "
                    + "expected a non-empty list of values"),
            sweep("empty-cells.conf", "empty-cells.conf:3: cells = []: empty list; expected at least one section of "
                    + "run-config keys"),
            sweep("empty-seeds.conf", "empty-seeds.conf:2: seeds = []: expected a non-empty list of integers"),
            sweep("duplicate-axis-grid.conf", "duplicate-axis-grid.conf:3: grid.model.hidden: duplicate axis; "
                    + "model.hidden is already an axis in grid (", "duplicate-axis-grid.conf:5)"),
            sweep("duplicate-axis-random.conf", "duplicate-axis-random.conf:8: random.optimizer.learning-rate: "
                    + "duplicate axis; optimizer.learning-rate is already an axis in grid (", "duplicate-axis-random.conf:3)"),
            sweep("duplicate-seed-axis.conf", "duplicate-seed-axis.conf:3: grid.seed: duplicate axis; seed is already "
                    + "an axis in seeds (", "duplicate-seed-axis.conf:5)"),
            sweep("unknown-axis.conf", "unknown-axis.conf:2: grid.model.hiden: model.hiden is not a run-config key; "
                    + "did you mean model.hidden?"),
            sweep("unknown-top-level-key.conf", "unknown-top-level-key.conf:2: grids: unknown key of a sweep spec; "
                    + "expected name, base, grid, random, seeds, cells, early-stopping"),
            sweep("axis-not-a-list.conf", "axis-not-a-list.conf:2: grid.model.hidden = 32: wrong type; "
                    + "expected a non-empty list of values"),
            sweep("axis-value-out-of-range.conf", "axis-value-out-of-range.conf:2: cell {model.hidden=0}: "
                    + "model.hidden = 0: out of range; expected an integer in [1, 65536]"),
            sweep("log-uniform-min-zero.conf", "log-uniform-min-zero.conf:4: random.axes.optimizer.learning-rate.min = 0.0: "
                    + "log-uniform needs 0 < min < max"),
            sweep("random-without-count.conf", "random-without-count.conf:1: random.count: missing; "
                    + "expected an integer >= 1"),
            sweep("base-missing.conf", "base-missing.conf:2: base = \"no-such-base.conf\": base file ",
                    "sweep/no-such-base.conf not found; expected a run-config file (relative to the spec's directory)"),
            sweep("base-directory.conf", "base-directory.conf:2: base = \".\": ", "bad/sweep is a directory; expected a "
                    + "run-config file"),
            sweep("base-syntax-error.conf", "broken-base.hocon:3: syntax error: expecting a close brace '}' here, "
                    + "not: ','"),
            sweep("base-unknown-key.conf", "base-unknown-key.conf:2: cell {model.hidden=8}: training.update: unknown key; "
                    + "did you mean training.updates?"),
            sweep("syntax-error.conf", "syntax-error.conf:3: syntax error: List should have had new element after a comma"),

            // ---- a valid file given to the command that takes the other kind
            new Case("misplaced/sweep-spec.conf", Kind.TRAIN_ONLY, null, List.of(), List.of("misplaced/sweep-spec.conf: "
                    + "a sweep spec (it has a top-level name key), not a run config; run it with 'carousel sweep ")),
            new Case("misplaced/run-config.conf", Kind.SWEEP_RUN, null, List.of(), List.of("misplaced/run-config.conf: "
                    + "a run config (it has a top-level task key), not a sweep spec; train it with 'carousel train ",
                    "base = \"run-config.conf\"")),

            // ---- data files: CSV (one line per step), text, formats that are not what data.format says
            data("data/csv-non-numeric.csv", "csv", "csv-non-numeric.csv:6: x1 = 'abc' is not a number; "
                    + "expected a decimal number"),
            data("data/csv-nan.csv", "csv", "csv-nan.csv:4: x2 = NaN; expected a finite number"),
            data("data/csv-infinite.csv", "csv", "csv-infinite.csv:13: y = -Infinity; expected a finite number"),
            // finite as doubles, infinite in the float32 engine (train-tiny.conf keeps the default precision)
            data("data/csv-float32-target.csv", "csv", "csv-float32-target.csv:11 (seq_id 3): y = 1.0E39 is beyond "
                    + "float32's range (|x| <= 3.4028235E38); expected a number float32 can hold for model.precision = "
                    + "float32 (or model.precision = float64)"),
            data("data/csv-float32-input.csv", "csv", "csv-float32-input.csv:8 (seq_id 2): x2 at t = 1 = -1.0E39 is "
                    + "beyond float32's range"),
            data("data/csv-ragged.csv", "csv", "csv-ragged.csv:8 (seq_id 2): sequence has 2 steps, "
                    + "expected 3 like 3 of 4 sequences"),
            data("data/csv-missing-step.csv", "csv", "csv-missing-step.csv:5 (seq_id 1): t = 1 is missing (found 3 steps, t up "
                    + "to 3); expected t = 0..T-1"),
            data("data/csv-duplicate-step.csv", "csv", "csv-duplicate-step.csv:10 (seq_id 2): t = 1 appears again "
                    + "(first at line 9); expected each step once"),
            data("data/csv-field-count.csv", "csv", "csv-field-count.csv:8: has 6 fields; expected 5 fields like the header"),
            data("data/csv-unknown-column.csv", "csv", "csv-unknown-column.csv:1: unknown column 'label'; "
                    + "expected the columns seq_id, t, x1..xI and optionally y"),
            data("data/csv-no-t-column.csv", "csv", "csv-no-t-column.csv:1: unknown column 'step'; "
                    + "expected the columns seq_id, t, x1..xI and optionally y"),
            data("data/csv-step-not-integer.csv", "csv", "csv-step-not-integer.csv:12: t = '1.0' is not a step number; "
                    + "expected an integer 0..T-1"),
            data("data/csv-missing-target.csv", "csv", "csv-missing-target.csv:7 (seq_id 1): y is empty at the last step "
                    + "t = 2; expected the sequence's target"),
            data("data/csv-header-only.csv", "csv", "csv-header-only.csv: no data lines after the header; "
                    + "expected one line per step with seq_id, t, x1..xI and optionally y"),
            data("data/csv-empty.csv", "csv", "csv-empty.csv: empty file (0 bytes); expected a header line with "
                    + "seq_id, t, x1..xI[, y]"),
            data("data/csv-mixed-headers", "csv", "csv-mixed-headers/b.csv:1: header has columns x1 and y, expected columns x1, x2 "
                    + "and y as in ", "csv-mixed-headers/a.csv"),
            data("data/no-data-files", "csv", "no-data-files: directory has no data files "
                    + "(names starting with '.' or '_' are skipped)"),
            data("data/text-too-short.txt", "text", "text-too-short.txt: has 4 characters; expected at least T+1 = 5 "
                    + "for one window of sequence length 4"),
            data("data/not-parquet.parquet", "parquet", "not-parquet.parquet: cannot be read as Parquet: ", "is not a Parquet file",
                    "; expected Parquet files for data.format = parquet (csv or text data needs data.format = csv "
                    + "or text)"),
            new Case("data/four-sequences.csv", Kind.DATA, "csv", List.of("distributed.partitions=8"),
                    List.of("distributed.partitions = 8: more than the 2 training sequences of ", "four-sequences.csv (4 "
                            + "sequences, 2 held out by data.validation-fraction = 0.5); expected an integer in [1, 2]")),

            // ---- Parquet (features [T][I] plus target or label), written by writeParquet
            data("parquet/ragged-steps", "parquet", "ragged-steps/part-0.parquet row 3: features has 4 steps, "
                    + "expected 5 like 5 of 6 sequences"),
            data("parquet/ragged-features", "parquet", "ragged-features/part-0.parquet row 2: features[1] has "
                    + "2 values, expected 3 like features[0]"),
            data("parquet/nan-feature", "parquet", "nan-feature/part-0.parquet row 4: features[2][1] is NaN; "
                    + "expected a finite number"),
            data("parquet/infinite-target", "parquet", "infinite-target/part-0.parquet row 1: target[0] is Infinity; "
                    + "expected a finite number"),
            data("parquet/target-arity", "parquet", "target-arity/part-0.parquet row 5: target has 3 values, "
                    + "expected 2 like 5 of 6 sequences"),
            data("parquet/negative-label", "parquet", "negative-label/part-0.parquet row 2: label is -1; "
                    + "expected a class index >= 0"),
            data("parquet/label-array", "parquet", "label-array: column label has type array<int>; "
                    + "expected an integer type (int)"),
            data("parquet/no-target", "parquet", "no-target: has neither a target nor a label column; "
                    + "expected features: array<array<float>> and either target: array<float> or label: int"),
            data("parquet/flat-features", "parquet", "flat-features: column features has type array<float>; "
                    + "expected features: array<array<float>>"),
            data("parquet/mixed-schemas", "parquet", "mixed-schemas/part-1.parquet: column features has type "
                    + "array<array<string>>; expected array<array<float>> like the other files of the dataset"),

            // ---- missing or unreadable paths, made at run time
            new Case("runtime/missing-config", Kind.CONFIG, null, List.of(), List.of("missing.conf: config file not found; expected the path of a HOCON config file")),
            new Case("runtime/config-is-a-directory", Kind.CONFIG, null, List.of(),
                    List.of("config: is a directory; expected a HOCON config file")),
            new Case("runtime/missing-data", Kind.DATA, "csv", List.of(), List.of("data.path = \"", "missing.csv\": no such file or directory; expected a csv file or a directory of them")));

    static Path corpus;
    @TempDir
    static Path scratch;

    @BeforeAll
    static void locateCorpusAndWriteParquet() throws IOException, URISyntaxException {
        corpus = Path.of(Objects.requireNonNull(BadInputCorpusTest.class.getResource("/bad/README.md")).toURI()).getParent();
        writeParquet(scratch.resolve("parquet"));
    }

    @AfterAll
    static void releaseSpark() {
        // train stops the session it used; leave none half-registered for the next test class.
        SparkSessionExtension.stopShared();
    }

    static Stream<Case> cases() {
        return CASES.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejectedInOneLineBeforeAnyWork(Case c, @TempDir Path dir) throws IOException {
        switch (c.kind()) {
            case CONFIG -> {
                Path file = input(c, dir);
                expectOneLine(c, cli("validate", file.toString()));
                String viaTrain = expectOneLine(c, trainUnchanged(dir, false, "train", file.toString()));
                String viaValidate = expectOneLine(c, cli("validate", file.toString()));
                assertEquals(viaValidate, viaTrain, "validate and train must report the same error");
                expectOneLine(c, trainUnchanged(dir, true, "train", file.toString()));
            }
            case SWEEP -> expectOneLine(c, cli("validate", input(c, dir).toString()));
            case TRAIN_ONLY -> expectOneLine(c, trainUnchanged(dir, true, "train", input(c, dir).toString()));
            case SWEEP_RUN -> {
                Path out = dir.resolve("sweep-out");
                expectOneLine(c, cli("sweep", input(c, dir).toString(), "--out", out.toString()));
                assertFalse(Files.exists(out), "nothing may be written");
            }
            case DATA -> {
                List<String> args = new ArrayList<>(List.of("train", corpus.resolve("data/train-tiny.conf").toString(),
                        "--master", "local[1]", "--set", "data.format=" + c.format(),
                        "--set", "data.path=\"" + input(c, dir) + "\""));
                c.set().forEach(s -> args.addAll(List.of("--set", s)));
                // Alternate: half the cases into a folder holding earlier results, half into none at all.
                boolean prior = CASES.indexOf(c) % 2 == 1;
                expectOneLine(c, trainUnchanged(dir, prior, args.toArray(String[]::new)));
            }
        }
    }

    /** The file or folder a case reads. */
    Path input(Case c, Path dir) throws IOException {
        String name = c.name();
        if (name.startsWith("parquet/")) {
            return scratch.resolve(name);
        }
        if (!name.startsWith("runtime/")) {
            Path p = corpus.resolve(name);
            assertTrue(Files.exists(p), "corpus file missing: " + p);
            return p;
        }
        return switch (name) {
            case "runtime/missing-config" -> dir.resolve("missing.conf");
            case "runtime/config-is-a-directory" -> Files.createDirectories(dir.resolve("config"));
            case "runtime/missing-data" -> dir.resolve("missing.csv");
            default -> throw new IllegalArgumentException("no runtime input " + name);
        };
    }

    /**
     * chmod 000 makes a file unreadable for everyone but root; as root (as in many CI containers) reads still
     * succeed, so the case cannot be staged and is skipped rather than faked. The directory-for-a-file cases
     * above check the same code path ("not a readable file") on any user.
     */
    @Test
    void unreadableConfigAndDataFiles(@TempDir Path dir) throws IOException {
        Path conf = Files.writeString(dir.resolve("locked.conf"), "model.hidden = 8\n");
        Path data = Files.copy(corpus.resolve("data/four-sequences.csv"), dir.resolve("locked.csv"));
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("---------"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(conf), "running as root: chmod 000 does not stop this user reading the file");
        Case config = new Case("runtime/locked.conf", Kind.CONFIG, null, List.of(),
                List.of("locked.conf: config file is not readable; expected a HOCON file this user can read"));
        expectOneLine(config, cli("validate", conf.toString()));
        expectOneLine(config, trainUnchanged(dir.resolve("a"), true, "train", conf.toString()));
        Case csv = new Case("runtime/locked.csv", Kind.DATA, "csv", List.of(), List.of("locked.csv: cannot be read (permission denied); expected a file this user can read"));
        expectOneLine(csv, trainUnchanged(dir.resolve("b"), true, "train", corpus.resolve("data/train-tiny.conf").toString(),
                "--master", "local[1]", "--set", "data.path=\"" + data + "\""));
    }

    /** Every corpus file is a case (or named in SUPPORT) and has its line in bad/README.md. */
    @Test
    void everyCorpusFileIsACaseAndListedInTheReadme() throws IOException {
        Set<String> files = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(corpus)) {
            walk.filter(Files::isRegularFile).forEach(p -> files.add(corpus.relativize(p).toString()));
        }
        String readme = Files.readString(corpus.resolve("README.md"));
        Set<String> uncovered = new TreeSet<>();
        for (String f : files) {
            boolean isCase = CASES.stream().anyMatch(c -> f.equals(c.name()) || f.startsWith(c.name() + "/"));
            if (!isCase && !SUPPORT.contains(f)) {
                uncovered.add(f);
            }
        }
        assertEquals(Set.of(), uncovered, "corpus files that no case reads");
        List<String> unlisted = CASES.stream().map(Case::name).filter(n -> !readme.contains("`" + n + "`")).toList();
        assertEquals(List.of(), unlisted, "cases without a line in bad/README.md");
        assertTrue(CASES.size() >= 30, "the corpus should hold at least 30 cases, has " + CASES.size());
    }

    /** Corpus files that are not cases themselves. */
    static final Set<String> SUPPORT = Set.of("README.md", "data/train-tiny.conf", "sweep/broken-base.hocon");

    // ---- assertions ------------------------------------------------------------------------------------------

    /**
     * The CLI in this JVM, its stderr extended by what it logged at WARN or above: the real CLI's logging
     * (conf/log4j2.properties, the same levels as the tests') prints those on stderr, Spark's task failures
     * with their stack traces among them, but log4j writes to the stderr it found at startup, not to the
     * stream {@link CliRunner} captures.
     */
    static CliRunner.Run cli(String... args) {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        List<String> logged = new CopyOnWriteArrayList<>();
        AbstractAppender capture = new AbstractAppender("bad-input-capture", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent e) {
                logged.add(e.getLevel() + " " + e.getLoggerName() + ": " + e.getMessage().getFormattedMessage());
                if (e.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    e.getThrown().printStackTrace(new PrintWriter(trace));
                    logged.add(trace.toString().stripTrailing());
                }
            }
        };
        capture.start();
        context.getConfiguration().getRootLogger().addAppender(capture, Level.WARN, null);
        context.updateLoggers();
        try {
            CliRunner.Run run = CliRunner.cli(args);
            String log = logged.isEmpty() ? "" : String.join("\n", logged) + "\n";
            return new CliRunner.Run(run.exit(), run.out(), log + run.err());
        } finally {
            context.getConfiguration().getRootLogger().removeAppender(capture.getName());
            context.updateLoggers();
            capture.stop();
        }
    }

    private static final Pattern STACK_FRAME = Pattern.compile("(?m)^\\s+at \\S+\\(.*\\)$|^\\s*Caused by: ");
    private static final Pattern JAVA_EXCEPTION = Pattern.compile("\\b(?:[a-z]\\w*\\.)+[A-Z]\\w*(?:Exception|Error)\\b");

    /** Asserts exit 2, nothing on stdout, one stderr line with the expected texts and no stack trace; returns it. */
    static String expectOneLine(Case c, CliRunner.Run run) {
        String err = run.err();
        assertFalse(STACK_FRAME.matcher(err).find(), c + ": stack trace on stderr:\n" + err);
        assertFalse(JAVA_EXCEPTION.matcher(err).find(), c + ": Java exception class on stderr:\n" + err);
        assertEquals(Main.BAD_INPUT, run.exit(), c + ": exit code; stderr:\n" + err + "\nstdout:\n" + run.out());
        List<String> lines = err.lines().toList();
        assertEquals(1, lines.size(), c + ": exactly one line on stderr expected, got:\n" + err);
        String line = lines.get(0);
        if (Boolean.getBoolean("carousel.printBadInput")) { // -Dcarousel.printBadInput=true: the messages, to review
            System.out.println(c + "\t" + line);
        }
        assertTrue(line.startsWith("carousel: "), c + ": " + line);
        int from = 0;
        for (String part : c.expected()) {
            int at = line.indexOf(part, from);
            assertTrue(at >= 0, c + ": expected '" + part + "' (after column " + from + ") in:\n" + line);
            from = at + part.length();
        }
        assertEquals("", run.out(), c + ": nothing may be printed on stdout before the error");
        return line;
    }

    /**
     * Runs the CLI with {@code --out DIR} and asserts DIR is unchanged: absent if it was, else the same listing
     * and bytes, earlier results and a stale staging folder included.
     */
    static CliRunner.Run trainUnchanged(Path dir, boolean prior, String... args) throws IOException {
        Path out = dir.resolve(prior ? "out-with-results" : "out-new");
        if (prior) {
            Files.createDirectories(out.resolve("train-0123456789abcdef"));
            Files.writeString(out.resolve("train-0123456789abcdef/summary.md"), "# an earlier run\n");
            Files.write(out.resolve("notes.bin"), new byte[] {0, 1, 2, (byte) 0xff});
            Path stale = out.resolve(".staging-train-fedcba9876543210-00000000-0000-0000-0000-000000000000");
            Files.createDirectories(stale);
            Files.writeString(stale.resolve("half-written.txt"), "left by a crashed run\n");
        }
        Map<String, String> before = snapshot(out);
        List<String> full = new ArrayList<>(Arrays.asList(args));
        full.addAll(List.of("--out", out.toString()));
        CliRunner.Run run = cli(full.toArray(String[]::new));
        assertEquals(before, snapshot(out), "the --out folder must be left as it was:\n" + run.err());
        return run;
    }

    /** Relative path to a hex digest of the bytes ("dir" for folders); empty if {@code root} does not exist. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        if (!Files.exists(root)) {
            return m;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                m.put(root.relativize(p).toString(), Files.isDirectory(p) ? "dir" : HexFormat.of().formatHex(Files.readAllBytes(p)));
            }
        }
        return m;
    }

    // ---- Parquet cases ---------------------------------------------------------------------------------------

    static final int N = 6;
    static final int T = 5;
    static final int I = 3;
    static final int O = 2;

    static final String FEATURES = "optional group features (LIST) { repeated group list { optional group element (LIST) "
            + "{ repeated group list { optional float element; } } } }";
    static final String TARGET = "optional group target (LIST) { repeated group list { optional float element; } }";

    /**
     * Writes one Parquet dataset per Parquet case under {@code root}: a folder holding {@code part-0.parquet}
     * (mixed-schemas: two files), in Spark's own layout (three-level lists), written directly with parquet-hadoop
     * because going through Spark for ten tiny files costs half a minute. Sequence s has T steps of I features
     * and O targets; the breakage of each case is the one named in the CASES table.
     */
    static void writeParquet(Path root) throws IOException {
        MessageType regression = schema(FEATURES, TARGET);
        write(root.resolve("ragged-steps/part-0.parquet"), regression, s -> sequence(regression, s, s == 3 ? T - 1 : T, -1, -1, null, -1));
        write(root.resolve("ragged-features/part-0.parquet"), regression, s -> sequence(regression, s, T, s == 2 ? 1 : -1, -1, null, -1));
        write(root.resolve("nan-feature/part-0.parquet"), regression, s -> sequence(regression, s, T, -1, s == 4 ? 2 : -1, null, -1));
        write(root.resolve("infinite-target/part-0.parquet"), regression,
                s -> sequence(regression, s, T, -1, -1, s == 1 ? Float.POSITIVE_INFINITY : null, -1));
        write(root.resolve("target-arity/part-0.parquet"), regression, s -> sequence(regression, s, T, -1, -1, null, s == 5 ? O + 1 : O));

        MessageType classification = schema(FEATURES, "optional int32 label;");
        write(root.resolve("negative-label/part-0.parquet"), classification, s -> {
            Group g = features(classification, s, T, -1, -1);
            g.append("label", s == 2 ? -1 : s % 3);
            return g;
        });
        MessageType labelArray = schema(FEATURES, "optional group label (LIST) { repeated group list { optional int32 element; } }");
        write(root.resolve("label-array/part-0.parquet"), labelArray, s -> {
            Group g = features(labelArray, s, T, -1, -1);
            Group l = g.addGroup("label");
            l.addGroup("list").append("element", s % 2);
            l.addGroup("list").append("element", 1 - s % 2);
            return g;
        });
        MessageType noTarget = schema(FEATURES, "optional double y;");
        write(root.resolve("no-target/part-0.parquet"), noTarget, s -> {
            Group g = features(noTarget, s, T, -1, -1);
            g.append("y", (double) s);
            return g;
        });
        MessageType flat = schema("optional group features (LIST) { repeated group list { optional float element; } }", TARGET);
        write(root.resolve("flat-features/part-0.parquet"), flat, s -> {
            Group g = new SimpleGroupFactory(flat).newGroup();
            Group f = g.addGroup("features");
            for (int i = 0; i < I; i++) {
                f.addGroup("list").append("element", value(s, 0, i));
            }
            target(g, s, O, null);
            return g;
        });
        // Two files whose features disagree: float in the first (the schema Spark takes), strings in the second.
        write(root.resolve("mixed-schemas/part-0.parquet"), regression, s -> sequence(regression, s, T, -1, -1, null, -1));
        MessageType strings = schema("optional group features (LIST) { repeated group list { optional group element (LIST) "
                + "{ repeated group list { optional binary element (STRING); } } } }", TARGET);
        write(root.resolve("mixed-schemas/part-1.parquet"), strings, s -> {
            Group g = new SimpleGroupFactory(strings).newGroup();
            Group f = g.addGroup("features");
            for (int t = 0; t < T; t++) {
                Group step = f.addGroup("list").addGroup("element");
                for (int i = 0; i < I; i++) {
                    step.addGroup("list").append("element", Float.toString(value(s, t, i)));
                }
            }
            target(g, s, O, null);
            return g;
        });
    }

    private static MessageType schema(String... fields) {
        return MessageTypeParser.parseMessageType("message spark_schema { " + String.join(" ", fields) + " }");
    }

    /** Exactly representable value of sequence s, step t, feature i. */
    private static float value(int s, int t, int i) {
        return s + t * 0.25f + i * 0.125f;
    }

    /**
     * Sequence s with {@code steps} steps; step {@code shortStep} (if ≥ 0) has one feature too few and step
     * {@code nanStep} (if ≥ 0) a NaN as feature 1; a target of {@code outputs} values (O if negative), the
     * first replaced by {@code firstTarget} if given.
     */
    private static Group sequence(MessageType schema, int s, int steps, int shortStep, int nanStep, Float firstTarget,
                                  int outputs) {
        Group g = features(schema, s, steps, shortStep, nanStep);
        target(g, s, outputs < 0 ? O : outputs, firstTarget);
        return g;
    }

    private static Group features(MessageType schema, int s, int steps, int shortStep, int nanStep) {
        Group g = new SimpleGroupFactory(schema).newGroup();
        Group f = g.addGroup("features");
        for (int t = 0; t < steps; t++) {
            Group step = f.addGroup("list").addGroup("element");
            for (int i = 0; i < (t == shortStep ? I - 1 : I); i++) {
                step.addGroup("list").append("element", t == nanStep && i == 1 ? Float.NaN : value(s, t, i));
            }
        }
        return g;
    }

    private static void target(Group g, int s, int outputs, Float first) {
        Group y = g.addGroup("target");
        for (int o = 0; o < outputs; o++) {
            y.addGroup("list").append("element", o == 0 && first != null ? first : s * 0.5f + o);
        }
    }

    private static void write(Path file, MessageType schema, IntFunction<Group> row) throws IOException {
        Files.createDirectories(file.getParent());
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri()))
                .withType(schema).withConf(HADOOP).build()) {
            for (int s = 0; s < N; s++) {
                w.write(row.apply(s));
            }
        }
    }

    private static final Configuration HADOOP = new Configuration();
}
