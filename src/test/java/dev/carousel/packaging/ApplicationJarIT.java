package dev.carousel.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.carousel.cli.ProvenanceTest;
import dev.carousel.spark.LocalSparkHome;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded application jar (target/carousel-VERSION-app.jar, made in 'package'): everything Carousel needs
 * except what Spark supplies, ND4J's linux-x86_64 natives and merged service files included.
 */
class ApplicationJarIT {
    static Path applicationJar() {
        Path jar = Path.of(System.getProperty("carousel.app.jar", "target/carousel-0.1.0-SNAPSHOT-app.jar"));
        assertTrue(Files.isRegularFile(jar), jar + " missing: it is made by maven-shade-plugin in 'package'");
        return jar;
    }

    @Test
    void carriesNd4jWithItsNativesAndServicesButNotSpark() throws IOException {
        Path path = applicationJar();
        try (JarFile jar = new JarFile(path.toFile())) {
            List<String> names = jar.stream().map(JarEntry::getName).toList();
            System.out.printf(Locale.ROOT, "%s: %.1f MB, %d entries%n", path.getFileName(), Files.size(path) / 1e6, names.size());

            assertEquals("dev.carousel.cli.Main", jar.getManifest().getMainAttributes().getValue("Main-Class"));
            for (String c : new String[] {"dev/carousel/cli/Main.class", "org/nd4j/linalg/factory/Nd4j.class",
                    "org/nd4j/linalg/cpu/nativecpu/CpuBackend.class", "org/bytedeco/javacpp/Loader.class",
                    "com/typesafe/config/Config.class", "picocli/CommandLine.class", "carousel-defaults.conf"}) {
                assertTrue(names.contains(c), c);
            }
            // The native libraries JavaCPP extracts and loads, for this platform and no other.
            for (String lib : new String[] {"org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/libnd4jcpu.so",
                    "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/libjnind4jcpu.so",
                    "org/bytedeco/openblas/linux-x86_64/libopenblas.so.0",
                    "org/bytedeco/openblas/linux-x86_64/libjniopenblas.so",
                    "org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so"}) {
                assertTrue(names.contains(lib), lib);
            }
            List<String> otherNatives = names.stream()
                    .filter(n -> n.endsWith(".so") || n.contains(".so.") || n.endsWith(".dll") || n.endsWith(".dylib"))
                    .filter(n -> n.startsWith("org/nd4j/") || n.startsWith("org/bytedeco/"))
                    .filter(n -> !n.contains("/linux-x86_64/")).toList();
            assertEquals(List.of(), otherNatives, "ND4J/JavaCPP natives of other platforms (-Djavacpp.platform)");

            // ND4J finds its backend through ServiceLoader; shading must merge, not drop, the service files.
            assertTrue(services(jar, "org.nd4j.linalg.factory.Nd4jBackend").contains("org.nd4j.linalg.cpu.nativecpu.CpuBackend"));
            assertTrue(names.contains("META-INF/services/org.nd4j.linalg.compression.NDArrayCompressor"));

            // Spark, Scala and what they bring are 'provided': the cluster supplies them.
            List<String> provided = names.stream().filter(n -> n.startsWith("org/apache/spark/") || n.startsWith("scala/")
                    || n.startsWith("org/apache/hadoop/") || n.startsWith("org/apache/parquet/")
                    || n.startsWith("com/fasterxml/jackson/databind/") || n.startsWith("org/apache/datasketches/")).toList();
            assertEquals(List.of(), provided.stream().limit(5).toList(), "provided classes shaded in");

            // The quantile sketch library is relocated, so a cluster's class path cannot shadow it.
            assertTrue(names.contains("dev/carousel/shaded/ddsketch/ddsketch/DDSketch.class"), "DDSketch relocated");
            assertEquals(List.of(), names.stream().filter(n -> n.startsWith("com/datadoghq/")).limit(5).toList());

            // Signatures of merged jars would not verify against the merged jar.
            assertEquals(List.of(), names.stream().filter(n -> n.matches("META-INF/[^/]+\\.(SF|DSA|RSA)")).toList());
        }
    }

    /**
     * The jar names the commit it was built from: {@code --version} run from a folder outside the checkout,
     * with no git on PATH, gives {@code git rev-parse HEAD} of the checkout (Provenance reads the value
     * Maven recorded in the jar instead of asking git at run time).
     */
    @Test
    void namesTheCommitItWasBuiltFromWithoutRunningGit(@TempDir Path elsewhere) throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        String head = ProvenanceTest.gitHead(root);
        assumeTrue(head != null, "not built from a git checkout");

        String classPath = applicationJar().toAbsolutePath() + File.pathSeparator
                + LocalSparkHome.distribution().resolve("jars") + File.separator + "*";
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath, "dev.carousel.cli.Main", "--version").directory(elsewhere.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", elsewhere.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.startsWith("carousel 0.1.0-SNAPSHOT (commit " + head), out);
    }

    private static String services(JarFile jar, String service) throws IOException {
        JarEntry e = jar.getJarEntry("META-INF/services/" + service);
        assertTrue(e != null, service);
        try (InputStream in = jar.getInputStream(e)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
