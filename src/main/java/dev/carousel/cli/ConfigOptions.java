package dev.carousel.cli;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The config file and {@code --set key=value} overrides shared by every command. */
final class ConfigOptions {
    @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG",
            description = "HOCON run config (keys and defaults: src/main/resources/carousel-defaults.conf).")
    Path file;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
            description = "Override one config key, e.g. --set model.hidden=128 (repeatable; wins over the file).")
    Map<String, String> overrides = new LinkedHashMap<>();

    CarouselConfig load() {
        if (file == null) {
            throw new IllegalArgumentException("a CONFIG file is required (e.g. conf/main.conf)");
        }
        return ConfigLoader.load(file, overrides);
    }
}
