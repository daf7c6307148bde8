package dev.carousel.config;

import static dev.carousel.config.ConfigKeys.MAX_TASK_LENGTH;
import static dev.carousel.config.ConfigKeys.lower;
import static dev.carousel.config.ConfigError.where;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import dev.carousel.config.CarouselConfig.OptimizerKind;
import dev.carousel.nn.CellType;
import dev.carousel.nn.ForgetGate;
import dev.carousel.nn.Precision;
import dev.carousel.nn.Probe;
import dev.carousel.nn.RecurrentInit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a {@link CarouselConfig} from HOCON layered over {@code carousel-defaults.conf}, and writes one back.
 *
 * <p>Everything is checked before anything runs: unknown keys anywhere in the tree, wrong types, values out of
 * range (including keys of forget-gate modes that are not selected), unknown enum names and malformed HOCON
 * each raise a one-line {@link ConfigError}. Enum names are case-insensitive on input and lower-case on output.
 * {@code model.forget-gate.tmax = 0} resolves to {@code task.length}, so the result is fully explicit. The
 * table of keys and the checks of single keys are {@code ConfigKeys}'s; the checks across keys and the conversion
 * to the {@link CarouselConfig} record are here, but for the sizes' product, {@link SizeLimits}'s.
 *
 * <p>{@link #toConfig}, {@link #canonical} and {@link #hash} write a config back so a result can be re-run
 * and identified: {@code fromConfig(toConfig(c)).equals(c)} holds for every loaded {@code c}.
 */
public final class ConfigLoader {

    static final String DEFAULTS_RESOURCE = "carousel-defaults.conf";
    static final String OVERRIDE_ORIGIN = "command-line override";
    private static final int TEMPORAL_ORDER_MIN_LENGTH = 10;

    private static final Config DEFAULTS = loadDefaults();

    private ConfigLoader() {}

    /** Every run-config key path, in the order of {@code carousel-defaults.conf} (e.g. for sweep axes). */
    public static List<String> keyPaths() {
        return ConfigKeys.paths();
    }

    /** The run-config key nearest {@code path} by edit distance of its last segment, if near enough. */
    public static Optional<String> closestKey(String path) {
        return ConfigKeys.closestKey(path);
    }

    /** Every run-config key with its type, accepted values and default, in the order of {@code carousel-defaults.conf}. */
    public static List<ConfigKey> keys() {
        return ConfigKeys.describe(DEFAULTS);
    }

    /**
     * Checks one value as {@code --set key=valueText} would be checked, over the defaults, and returns it read
     * (Integer, Long, Double, Boolean or lower-case String); checks across keys wait for a whole config.
     *
     * @throws ConfigError the one line the CLI prints for the same override
     */
    public static Object checkValue(String key, String valueText) {
        Config merged = overrides(Map.of(key, valueText)).withFallback(DEFAULTS);
        try {
            return ConfigKeys.readOne(merged.resolve(), key);
        } catch (ConfigException e) {
            throw fromTypesafe("", e);
        }
    }

    /** Loads {@code file} over the defaults. */
    public static CarouselConfig load(Path file) {
        return load(file, Map.of());
    }

    /**
     * Loads {@code file} over the defaults, with {@code overrides} (key to value text in HOCON value syntax,
     * e.g. {@code model.hidden} to {@code "128"}, as given on a command line) winning over the file.
     */
    public static CarouselConfig load(Path file, Map<String, String> overrides) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(overrides, "overrides");
        // Checked here because Typesafe's own report of a missing file is a Java exception dump.
        if (!Files.exists(file)) {
            throw new ConfigError(file + ": config file not found; expected the path of a HOCON config file");
        }
        if (Files.isDirectory(file)) {
            throw new ConfigError(file + ": is a directory; expected a HOCON config file");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new ConfigError(file + ": config file is not readable; expected a HOCON file this user can read");
        }
        Config fileConfig;
        try {
            fileConfig = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException.Parse e) {
            throw fromTypesafe("syntax error: ", e);
        } catch (ConfigException e) {
            throw fromTypesafe("cannot read config file " + file + ": ", e);
        }
        return fromConfig(overrides(overrides).withFallback(fileConfig));
    }

    /**
     * Parses the HOCON text of a config file read elsewhere (e.g. from a Hadoop file system) over the defaults, with
     * {@code overrides} as in {@link #load(Path, Map)}; {@code origin} (the file's URI) appears in errors.
     */
    public static CarouselConfig load(String hocon, String origin, Map<String, String> overrides) {
        Config fileConfig;
        try {
            fileConfig = ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription(origin));
        } catch (ConfigException.Parse e) {
            throw fromTypesafe("syntax error: ", e);
        }
        return fromConfig(overrides(overrides).withFallback(fileConfig));
    }

    /** Parses HOCON text over the defaults; {@code originDescription} (e.g. a file name) appears in errors. */
    public static CarouselConfig parse(String hocon, String originDescription) {
        Config user;
        try {
            user = ConfigFactory.parseString(hocon, ConfigParseOptions.defaults().setOriginDescription(originDescription));
        } catch (ConfigException.Parse e) {
            throw fromTypesafe("syntax error: ", e);
        }
        return fromConfig(user);
    }

    /** Validates and resolves {@code userConfig} layered over the defaults. */
    public static CarouselConfig fromConfig(Config userConfig) {
        Objects.requireNonNull(userConfig, "userConfig");
        try {
            Config merged = userConfig.withFallback(DEFAULTS).resolve();
            CarouselConfig config = build(new Values(ConfigKeys.read(merged)), merged);
            SizeLimits.check(config, merged);
            return config;
        } catch (ConfigException e) {
            // Unresolved substitutions and anything else Typesafe rejects: still one line with its origin.
            throw fromTypesafe("", e);
        }
    }

    /** The full explicit config as HOCON keys: every key present, including those of unselected gate modes. */
    public static Config toConfig(CarouselConfig c) {
        ForgetGate gate = c.model().forgetGate();
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("seed", c.seed());
        v.put("task.name", c.task().name());
        v.put("task.length", c.task().length());
        v.put("task.validation-sequences", c.task().validationSequences());
        v.put("model.cell", lower(c.model().cell()));
        v.put("model.hidden", c.model().hidden());
        v.put("model.forget-gate.mode", gate.mode());
        // Keys of the modes not selected carry no information; writing their defaults keeps the output a
        // function of c alone, so equal configs render (and hash) equally.
        v.put("model.forget-gate.bias",
                gate instanceof ForgetGate.Learned l ? l.bias() : DEFAULTS.getDouble("model.forget-gate.bias"));
        v.put("model.forget-gate.tmax",
                gate instanceof ForgetGate.Chrono ch ? ch.tmax() : DEFAULTS.getInt("model.forget-gate.tmax"));
        v.put("model.forget-gate.value",
                gate instanceof ForgetGate.Fixed f ? f.value() : DEFAULTS.getDouble("model.forget-gate.value"));
        v.put("model.rnn-gain", c.model().rnnGain());
        v.put("model.recurrent-init", c.model().recurrentInit().configName());
        v.put("model.precision", lower(c.model().precision()));
        v.put("optimizer.name", lower(c.optimizer().kind()));
        v.put("optimizer.learning-rate", c.optimizer().learningRate());
        v.put("optimizer.momentum", c.optimizer().momentum());
        v.put("optimizer.beta1", c.optimizer().beta1());
        v.put("optimizer.beta2", c.optimizer().beta2());
        v.put("optimizer.epsilon", c.optimizer().epsilon());
        v.put("optimizer.rho", c.optimizer().rho());
        v.put("optimizer.clip-norm", c.optimizer().clipNorm());
        v.put("training.batch-size", c.training().batchSize());
        v.put("training.updates", c.training().updates());
        v.put("training.eval-every", c.training().evalEvery());
        v.put("probes.enabled", c.probes().enabled());
        v.put("probes.every", c.probes().every());
        v.put("probes.set", String.join(" ", Probe.keys(c.probes().set())));
        v.put("distributed.partitions", c.distributed().partitions());
        v.put("distributed.local-steps", c.distributed().localSteps());
        v.put("distributed.aggregation-depth", c.distributed().aggregationDepth());
        v.put("distributed.optimizer-state", lower(c.distributed().optimizerState()));
        v.put("distributed.checkpoint-every", c.distributed().checkpointEvery());
        v.put("data.format", c.data().format());
        v.put("data.path", c.data().path());
        v.put("data.validation-fraction", c.data().validationFraction());

        Config out = ConfigFactory.empty();
        for (Map.Entry<String, Object> e : v.entrySet()) {
            out = out.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue(), "CarouselConfig"));
        }
        return out;
    }

    /**
     * Canonical JSON of {@link #toConfig}: every key present, keys sorted (Typesafe's renderer sorts object
     * keys), doubles in {@link Double#toString} form, no whitespace.
     */
    public static String canonical(CarouselConfig c) {
        return toConfig(c).root().render(ConfigRenderOptions.concise());
    }

    /** First 16 hex digits of the SHA-256 of {@link #canonical}: a short, stable id of a run's configuration. */
    public static String hash(CarouselConfig c) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical(c).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM provides SHA-256", e);
        }
    }

    // ---- building ------------------------------------------------------------------------------------------

    private static CarouselConfig build(Values v, Config merged) {
        String task = v.str("task.name");
        int length = v.integer("task.length");
        if (task.equals("temporal-order") && length < TEMPORAL_ORDER_MIN_LENGTH) {
            throw new ConfigError(where(merged.getValue("task.length").origin()) + ": task.length = " + length
                    + ": too short for task.name = temporal-order; expected an integer in ["
                    + TEMPORAL_ORDER_MIN_LENGTH + ", " + MAX_TASK_LENGTH + "]");
        }
        ForgetGate gate = switch (v.str("model.forget-gate.mode")) {
            case "learned" -> new ForgetGate.Learned(v.real("model.forget-gate.bias"));
            case "chrono" -> {
                int tmax = v.integer("model.forget-gate.tmax");
                yield new ForgetGate.Chrono(tmax == 0 ? length : tmax);
            }
            case "uniform" -> new ForgetGate.Uniform();
            case "fixed" -> new ForgetGate.Fixed(v.real("model.forget-gate.value"));
            case "none" -> new ForgetGate.None();
            default -> throw new IllegalStateException("mode admitted by the key table but not built");
        };
        if (!"generated".equals(v.str("data.format")) && v.str("data.path").isBlank()) {
            throw new ConfigError(where(merged.getValue("data.format").origin()) + ": data.path is empty: data.format = "
                    + v.str("data.format") + " needs the path of a file or directory");
        }
        return new CarouselConfig(
                v.int64("seed"),
                new CarouselConfig.Task(task, length, v.integer("task.validation-sequences")),
                new CarouselConfig.Model(CellType.valueOf(upper(v.str("model.cell"))), v.integer("model.hidden"),
                        gate, v.real("model.rnn-gain"),
                        RecurrentInit.valueOf(upper(v.str("model.recurrent-init"))), Precision.valueOf(upper(v.str("model.precision")))),
                new CarouselConfig.Optimizer(OptimizerKind.valueOf(upper(v.str("optimizer.name"))),
                        v.real("optimizer.learning-rate"), v.real("optimizer.momentum"), v.real("optimizer.beta1"),
                        v.real("optimizer.beta2"), v.real("optimizer.epsilon"), v.real("optimizer.rho"),
                        v.real("optimizer.clip-norm")),
                new CarouselConfig.Training(v.integer("training.batch-size"), v.integer("training.updates"),
                        v.integer("training.eval-every")),
                new CarouselConfig.Probes(v.bool("probes.enabled"), v.integer("probes.every"),
                        probeSet(v.str("probes.set"))),
                new CarouselConfig.Distributed(v.integer("distributed.partitions"), v.integer("distributed.local-steps"),
                        v.integer("distributed.aggregation-depth"),
                        CarouselConfig.OptimizerStateMode.valueOf(upper(v.str("distributed.optimizer-state"))),
                        v.integer("distributed.checkpoint-every")),
                new CarouselConfig.Data(v.str("data.format"), v.str("data.path"), v.real("data.validation-fraction")));
    }

    /** The probes named by a validated probes.set value (keys separated by spaces). */
    private static Set<Probe> probeSet(String keys) {
        Set<Probe> probes = EnumSet.noneOf(Probe.class);
        for (String key : keys.split(" ")) {
            probes.add(Probe.byKey(key));
        }
        return probes;
    }

    /** Validated values by key path, typed by {@link ConfigKeys#read}. */
    private record Values(Map<String, Object> map) {
        int integer(String path) { return (Integer) map.get(path); }
        long int64(String path) { return (Long) map.get(path); }
        double real(String path) { return (Double) map.get(path); }
        boolean bool(String path) { return (Boolean) map.get(path); }
        String str(String path) { return (String) map.get(path); }
    }

    // ---- sources and messages ------------------------------------------------------------------------------

    /** Overrides as a config whose values carry the origin "command-line override". */
    private static Config overrides(Map<String, String> overrides) {
        Config result = ConfigFactory.empty(OVERRIDE_ORIGIN);
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            String key = e.getKey().strip();
            String text = e.getKey() + "=" + e.getValue();
            try {
                // Parsed as the right-hand side of a HOCON assignment: 128 is a number, adding a string.
                ConfigValue value = ConfigFactory.parseString("value = " + e.getValue(),
                        ConfigParseOptions.defaults().setOriginDescription(OVERRIDE_ORIGIN))
                        .root().get("value");
                if (value == null) {
                    throw new ConfigError(OVERRIDE_ORIGIN + " " + text + ": no value");
                }
                result = result.withValue(key, value.withOrigin(ConfigOriginFactory.newSimple(OVERRIDE_ORIGIN)));
            } catch (ConfigException.BadPath ex) {
                throw new ConfigError(OVERRIDE_ORIGIN + " " + text + ": " + key + ": not a valid key path", ex);
            } catch (ConfigException.Parse ex) {
                throw new ConfigError(OVERRIDE_ORIGIN + " " + text + ": syntax error: " + withoutOrigin(ex), ex);
            }
        }
        return result;
    }

    /** Typesafe's exception as one line, its origin written file:line. */
    private static ConfigError fromTypesafe(String what, ConfigException e) {
        String origin = e.origin() == null ? "" : where(e.origin()) + ": ";
        return new ConfigError(origin + what + withoutOrigin(e), e);
    }

    /** Typesafe's message without the "origin: " prefix it starts with ({@link ConfigError#typesafeMessage}). */
    private static String withoutOrigin(ConfigException e) {
        return ConfigError.typesafeMessage(e);
    }

    private static Config loadDefaults() {
        return ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), DEFAULTS_RESOURCE,
                ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
    }

    private static String upper(String name) {
        return name.toUpperCase(Locale.ROOT);
    }
}

