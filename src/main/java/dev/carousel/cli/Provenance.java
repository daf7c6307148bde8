package dev.carousel.cli;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/** Where a result came from: Carousel's version and commit, library versions, the resolved config. */
final class Provenance {
    private Provenance() {}

    static String version() {
        Properties p = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("/carousel-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall through to "unknown"
        }
        return p.getProperty("version", "unknown");
    }

    /** The git commit of the working directory, if it is a checkout; "unknown" otherwise. */
    static String gitCommit() {
        try {
            Process proc = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            if (!proc.waitFor(5, TimeUnit.SECONDS)) {
                proc.destroyForcibly();
                return "unknown";
            }
            String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return proc.exitValue() == 0 ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** Versions and commit: what produced a result, whatever its config. */
    static Map<String, Object> of(String sparkVersion) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("carousel_version", version());
        m.put("git_commit", gitCommit());
        m.put("java", System.getProperty("java.version"));
        m.put("nd4j", implementationVersion(org.nd4j.linalg.factory.Nd4j.class, "1.0.0-M2.1"));
        m.put("spark", sparkVersion);
        m.put("omp_num_threads", System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"));
        return m;
    }

    static Map<String, Object> of(CarouselConfig config, String sparkVersion) {
        Map<String, Object> m = of(sparkVersion);
        m.put("config_hash", ConfigLoader.hash(config));
        m.put("config", ConfigLoader.toConfig(config).root().unwrapped());
        return m;
    }

    private static String implementationVersion(Class<?> c, String fallback) {
        String v = c.getPackage().getImplementationVersion();
        return v == null ? fallback : v;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"carousel " + version()};
        }
    }
}
