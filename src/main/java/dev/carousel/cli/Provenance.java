package dev.carousel.cli;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/** Where a result came from: Carousel's version and commit, library versions, the resolved config. */
final class Provenance {
    private Provenance() {}

    /**
     * carousel-version.properties as Maven filled it in when it built this jar: the project version and the
     * commit of the source tree (git-commit-id-maven-plugin).
     */
    private static final Properties BUILD = load();

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("/carousel-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // every value reads as "unknown"
        }
        return p;
    }

    /** A build-time value; "unknown" if absent or left unfiltered (a build from a tree without .git). */
    private static String built(String key) {
        return built(BUILD, key);
    }

    static String built(Properties build, String key) {
        String v = build.getProperty(key, "").trim();
        return v.isEmpty() || v.contains("${") ? "unknown" : v;
    }

    static String version() {
        return built("version");
    }

    /**
     * The git commit this build was made from, recorded when Maven built it (so the same wherever and from
     * whichever directory the jar runs, and no git process is started); "unknown" for a build from a tree
     * without .git.
     */
    static String gitCommit() {
        return built("git.commit");
    }

    /**
     * Whether tracked files differed from {@link #gitCommit()} when the build was made (untracked files do
     * not count, as with {@code git describe --dirty}); null when unknown.
     */
    static Boolean gitDirty() {
        String v = built("git.dirty");
        return v.equals("unknown") ? null : Boolean.valueOf(v);
    }

    /** Versions and commit: what produced a result, whatever its config. */
    static Map<String, Object> of(String sparkVersion) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("carousel_version", version());
        m.put("git_commit", gitCommit());
        if (gitDirty() != null) {
            m.put("git_dirty", gitDirty());
        }
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
            String commit = gitCommit();
            return new String[] {"carousel " + version() + " (commit " + commit
                    + (Boolean.TRUE.equals(gitDirty()) ? ", with uncommitted changes" : "") + ")"};
        }
    }
}
