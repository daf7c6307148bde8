package dev.carousel.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import dev.carousel.store.Storage;
import dev.carousel.sweep.SweepSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The config file and {@code --set key=value} overrides shared by every command. */
final class ConfigOptions {
    @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG",
            description = "HOCON run config, a local path or a Hadoop URI (keys and defaults: "
                    + "src/main/resources/carousel-defaults.conf).")
    String file;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
            description = "Override one config key, e.g. --set model.hidden=128 (repeatable; wins over the file).")
    Map<String, String> overrides = new LinkedHashMap<>();

    CarouselConfig load() {
        if (file == null) {
            throw new IllegalArgumentException("a CONFIG file is required (e.g. conf/main.conf)");
        }
        if (Storage.hasScheme(file) && !file.startsWith("file:")) {
            // On a cluster's file system (a YARN or Kubernetes driver has no copy of the submitting machine's files).
            Configuration hadoop = Storage.hadoopConf();
            org.apache.hadoop.fs.Path uri = Storage.resolve(file, "CONFIG", hadoop);
            return load(uri, readText(uri, hadoop));
        }
        requireRunConfig(parsed(localFile()), file);
        return ConfigLoader.load(localFile(), overrides);
    }

    /** The run config whose HOCON {@code text} was read from {@code uri}, with the overrides. */
    CarouselConfig load(org.apache.hadoop.fs.Path uri, String text) {
        requireRunConfig(parsed(text), uri.toString());
        return ConfigLoader.load(text, uri.toString(), overrides);
    }

    /** The text of the config file at {@code uri}, or a one-line {@link ConfigError} naming it. */
    static String readText(org.apache.hadoop.fs.Path uri, Configuration hadoop) {
        return Storage.readText(uri, "config file", "the URI of a HOCON config file", hadoop);
    }

    /** A local file's parsed HOCON, or null if it is not a readable HOCON file (the loader then says why). */
    static Config parsed(Path file) {
        return Files.isRegularFile(file) ? parsed(() -> ConfigFactory.parseFile(file.toFile())) : null;
    }

    private static Config parsed(Supplier<Config> parse) {
        try {
            return parse.get();
        } catch (ConfigException e) {
            return null;
        }
    }

    /** Refuses a sweep spec given where a run config belongs, naming the command that takes it. */
    private static void requireRunConfig(Config root, String name) {
        if (root != null && SweepSpec.isSweepSpec(root)) {
            throw new ConfigError(name + ": a sweep spec (it has a top-level " + SweepSpec.TOP_LEVEL_KEYS.stream()
                    .filter(root.root()::containsKey).findFirst().orElseThrow() + " key), not a run config; run it "
                    + "with 'carousel sweep " + name + "' or check it with 'carousel validate " + name + "'");
        }
    }

    /**
     * Refuses a run config given where a sweep spec belongs: a file with a run config's top-level keys and none of
     * a spec's.
     */
    static void requireSweepSpec(Path file) {
        requireSweepSpec(parsed(file), file.toString());
    }

    /** As {@link #requireSweepSpec(Path)} for the parsed HOCON {@code root} (null: unparsable) of {@code name}. */
    static void requireSweepSpec(Config root, String name) {
        if (root == null || SweepSpec.isSweepSpec(root)) {
            return;
        }
        String fileName = name.substring(name.lastIndexOf('/') + 1);
        ConfigLoader.keyPaths().stream().map(k -> k.substring(0, k.indexOf('.') < 0 ? k.length() : k.indexOf('.')))
                .filter(root.root()::containsKey).findFirst().ifPresent(key -> {
                    throw new ConfigError(name + ": a run config (it has a top-level " + key + " key), not a sweep "
                            + "spec; train it with 'carousel train " + name + "', or sweep it from a spec whose base "
                            + "is this file (base = \"" + fileName + "\"; conf/sweeps/ has examples)");
                });
    }

    /** HOCON text's parsed root, or null if it does not parse (the loader then says why). */
    static Config parsed(String text) {
        return parsed(() -> ConfigFactory.parseString(text));
    }

    /** {@code given} as a local path, or null if it is the URI of another file system than file:. */
    static Path localPath(String given) {
        if (Storage.hasScheme(given) && !given.startsWith("file:")) {
            return null;
        }
        return given.startsWith("file:") ? Path.of(new org.apache.hadoop.fs.Path(given).toUri().getPath()) : Path.of(given);
    }

    /** The config file as a local path, or null if none was given or it is a URI of another file system. */
    Path localFile() {
        if (file == null) {
            return null;
        }
        return localPath(file);
    }
}
