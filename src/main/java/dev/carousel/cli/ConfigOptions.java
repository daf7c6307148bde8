package dev.carousel.cli;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigError;
import dev.carousel.config.ConfigLoader;
import dev.carousel.store.Storage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
            if (!Storage.probe(uri, "CONFIG", hadoop) || Storage.isDirectory(uri, hadoop)) {
                throw new ConfigError(uri + ": config file not found; expected the URI of a HOCON config file");
            }
            String text;
            try {
                text = new String(Storage.readAll(uri, hadoop), StandardCharsets.UTF_8);
            } catch (java.io.UncheckedIOException e) {
                throw new ConfigError(uri + ": config file is not readable: " + e.getMessage());
            }
            return ConfigLoader.load(text, uri.toString(), overrides);
        }
        return ConfigLoader.load(localFile(), overrides);
    }

    /** The config file as a local path, or null if none was given or it is a URI of another file system. */
    Path localFile() {
        if (file == null || (Storage.hasScheme(file) && !file.startsWith("file:"))) {
            return null;
        }
        return file.startsWith("file:") ? Path.of(new org.apache.hadoop.fs.Path(file).toUri().getPath()) : Path.of(file);
    }
}
