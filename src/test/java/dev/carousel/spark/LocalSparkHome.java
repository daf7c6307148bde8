package dev.carousel.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/**
 * SPARK_HOMEs for tests, made of symbolic links to jars already on this machine, plus a {@code bin/spark-submit}
 * that launches spark-submit from them the way a Spark distribution's script does.
 *
 * <ul>
 *   <li>{@link #get()}: {@code jars/} links every dependency jar on this JVM's class path (Spark's runtime
 *       among them, Spark being a 'provided' dependency; ND4J too). Local-cluster executors start from
 *       {@code $SPARK_HOME/jars/*}; the project's classes reach them as {@link #applicationJar()}.
 *   <li>{@link #distribution()}: {@code jars/} holds Spark's runtime only, the project's 'provided'
 *       dependencies as Maven lists them in {@code target/spark-runtime-classpath.txt}, as a cluster's Spark
 *       installation would. For running the shaded application jar through spark-submit: the application
 *       must then bring everything else itself.
 * </ul>
 *
 * <p>{@link #get()} is {@code $SPARK_HOME} when that is set (the pom sets it, for surefire and failsafe, to
 * {@code target/spark-home}), else {@code target/spark-home}; {@link #distribution()} is
 * {@code target/spark-distribution}. Each is (re)built once per JVM and only if it is ours: a folder
 * without the marker file is never touched. Spark also needs {@code SPARK_SCALA_VERSION} in the environment
 * of whoever reads the folder (Spark's launcher otherwise looks for a source build).
 *
 * <p>Jars under the project's build folder (target/) never go into {@code jars/}: the application's own
 * classes reach Spark as an application jar, as they would on a cluster.
 */
public final class LocalSparkHome {
    /** Scala binary version of the Spark jars; Spark's launcher needs it as SPARK_SCALA_VERSION. */
    public static final String SCALA_VERSION = "2.12";

    private static final String MARKER = ".carousel-test-spark-home";

    /** Maven writes Spark's runtime class path here (maven-dependency-plugin, scope 'provided'). */
    static final String SPARK_RUNTIME_CLASSPATH = "spark-runtime-classpath.txt";

    private static Path home;
    private static Path distribution;
    private static Path applicationJar;

    private LocalSparkHome() {}

    /** The test SPARK_HOME with the whole test class path in jars/, built on first use in this JVM. */
    public static synchronized Path get() {
        if (home == null) {
            home = build(location(), dependencyJars(classPath()));
        }
        return home;
    }

    /**
     * A SPARK_HOME like a Spark installation's: jars/ holds Spark's runtime and nothing of Carousel's, built on
     * first use in this JVM from the class path Maven wrote to target/spark-runtime-classpath.txt.
     */
    public static synchronized Path distribution() {
        if (distribution == null) {
            Path list = buildDirectory().resolve(SPARK_RUNTIME_CLASSPATH);
            String text;
            try {
                text = Files.readString(list, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new UncheckedIOException(list + " is missing: Maven writes it (dependency:build-classpath, "
                        + "scope provided) in generate-test-resources; run the test through Maven", e);
            }
            List<Path> jars = new ArrayList<>();
            for (String e : text.split(java.io.File.pathSeparator)) {
                if (!e.isBlank()) {
                    jars.add(Path.of(e).toAbsolutePath().normalize());
                }
            }
            distribution = build(buildDirectory().resolve("spark-distribution"), dependencyJars(jars));
        }
        return distribution;
    }

    /**
     * Fails unless this JVM's environment points SPARK_HOME at {@link #get()} and sets SPARK_SCALA_VERSION,
     * as the pom does for surefire and failsafe; Spark reads both from the environment, which a running JVM
     * cannot change. Call before starting anything that launches JVMs from SPARK_HOME.
     */
    public static Path requireEnvironment() {
        Path dir = get();
        String env = System.getenv("SPARK_HOME");
        if (env == null || !Path.of(env).toAbsolutePath().normalize().equals(dir)
                || !SCALA_VERSION.equals(System.getenv("SPARK_SCALA_VERSION"))) {
            throw new IllegalStateException("this test needs SPARK_HOME=" + dir + " and SPARK_SCALA_VERSION="
                    + SCALA_VERSION + " in its environment (Maven sets both; set them by hand elsewhere), found "
                    + "SPARK_HOME=" + env + ", SPARK_SCALA_VERSION=" + System.getenv("SPARK_SCALA_VERSION"));
        }
        return dir;
    }

    /**
     * The conf of Spark's {@code local-cluster[executors,1,1024]}: executor JVMs of one core and 1 GiB launched
     * from {@link #get()}, with {@link #applicationJar()} on their class path, this JVM's {@code --add-opens}
     * (Spark adds them itself; stated so a test does not depend on that), one BLAS thread and no UI. Checks the
     * environment first ({@link #requireEnvironment()}).
     */
    public static SparkConf localClusterConf(int executors, String appName) {
        requireEnvironment();
        return new SparkConf()
                .setMaster("local-cluster[" + executors + ",1,1024]")
                .setAppName(appName)
                .set("spark.jars", applicationJar().toString())
                .set("spark.executor.memory", "1g")
                .set("spark.executor.extraJavaOptions", ManagementFactory.getRuntimeMXBean().getInputArguments()
                        .stream().filter(a -> a.startsWith("--add-opens")).collect(Collectors.joining(" ")))
                .set("spark.executorEnv.OMP_NUM_THREADS", "1")
                .set("spark.ui.enabled", "false");
    }

    /** Waits until {@code n} executors have registered with {@code sc}, so that tasks are spread over their JVMs. */
    public static void awaitExecutors(SparkContext sc, int n, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        // getExecutorInfos lists the driver too.
        while (sc.statusTracker().getExecutorInfos().length < n + 1) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("only " + (sc.statusTracker().getExecutorInfos().length - 1) + " of " + n
                        + " executors registered within " + timeoutMillis + " ms; see the executor logs under "
                        + get().resolve("work"));
            }
            Thread.sleep(100);
        }
    }

    /**
     * A jar of the project's own classes on this JVM's class path (target/classes and target/test-classes,
     * or the project's jar when failsafe runs), for {@code spark.jars}: executors load the code of tasks,
     * test code included, from it. Tests run before 'package', so it is made here, once per JVM.
     */
    public static synchronized Path applicationJar() {
        if (applicationJar == null) {
            Path dir = get().resolve("app");
            try {
                Files.createDirectories(dir);
                Path tmp = Files.createTempFile(dir, "carousel-tests-", ".jar.tmp");
                writeJar(tmp, projectEntries());
                Path jar = dir.resolve("carousel-tests-" + ProcessHandle.current().pid() + ".jar");
                Files.move(tmp, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                jar.toFile().deleteOnExit();
                applicationJar = jar;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the test application jar in " + dir, e);
            }
        }
        return applicationJar;
    }

    /** The project's build folder: where this class was loaded from is target/test-classes (or a jar in target/). */
    static Path buildDirectory() {
        try {
            Path source = Path.of(LocalSparkHome.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return source.toAbsolutePath().normalize().getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path location() {
        String env = System.getenv("SPARK_HOME");
        return (env != null && !env.isBlank() ? Path.of(env) : buildDirectory().resolve("spark-home"))
                .toAbsolutePath().normalize();
    }

    private static List<Path> classPath() {
        List<Path> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!e.isBlank()) {
                entries.add(Path.of(e).toAbsolutePath().normalize());
            }
        }
        return entries;
    }

    /** Link names (file names, made unique) to the jars among {@code entries} that are not under target/. */
    private static Map<String, Path> dependencyJars(List<Path> entries) {
        Path build = buildDirectory();
        Map<String, Path> links = new LinkedHashMap<>();
        for (Path entry : entries) {
            if (entry.startsWith(build) || !Files.isRegularFile(entry) || !entry.toString().endsWith(".jar")) {
                continue;
            }
            String name = entry.getFileName().toString();
            if (links.containsKey(name) && !links.get(name).equals(entry)) {
                name = Integer.toHexString(entry.getParent().toString().hashCode()) + "-" + name;
            }
            links.put(name, entry);
        }
        return links;
    }

    private static Path build(Path dir, Map<String, Path> links) {
        try {
            buildIn(dir, links);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the test SPARK_HOME " + dir, e);
        }
    }

    private static void buildIn(Path dir, Map<String, Path> links) throws IOException {
        if (Files.exists(dir) && !Files.exists(dir.resolve(MARKER))) {
            try (Stream<Path> children = Files.list(dir)) {
                if (children.findAny().isPresent()) {
                    throw new IOException(dir + " exists and was not made by " + LocalSparkHome.class.getSimpleName()
                            + " (no " + MARKER + "); refusing to modify it");
                }
            }
        }
        Path jars = dir.resolve("jars");
        Files.createDirectories(jars);
        Files.createDirectories(dir.resolve("bin"));
        Files.writeString(dir.resolve(MARKER), "Built by dev.carousel.spark.LocalSparkHome for tests.\n");

        // Bring jars/ to exactly this set: stale links (from another class path) go, missing ones are made.
        try (Stream<Path> existing = Files.list(jars)) {
            for (Path p : (Iterable<Path>) existing::iterator) {
                Path want = links.get(p.getFileName().toString());
                if (want == null || !Files.isSymbolicLink(p) || !Files.readSymbolicLink(p).equals(want)) {
                    Files.deleteIfExists(p);
                }
            }
        }
        for (Map.Entry<String, Path> e : links.entrySet()) {
            Path link = jars.resolve(e.getKey());
            if (!Files.isSymbolicLink(link)) {
                try {
                    Files.createSymbolicLink(link, e.getValue());
                } catch (FileAlreadyExistsException raced) {
                    // another JVM building the same folder made it
                }
            }
        }
        writeScript(dir.resolve("bin/spark-submit"), SPARK_SUBMIT);
    }

    private static void writeScript(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * What a Spark distribution's bin/spark-submit and bin/spark-class do, minus the Windows and PySpark
     * parts: Spark's launcher (org.apache.spark.launcher.Main) turns the arguments into the driver's java
     * command line, applying spark.driver.memory, spark.driver.extraJavaOptions and extraClassPath from
     * --properties-file, SPARK_SUBMIT_OPTS and the Java 17 --add-opens (JavaModuleOptions), and prints it
     * NUL-separated; the script then execs it.
     */
    private static final String SPARK_SUBMIT = """
            #!/usr/bin/env bash
            # spark-submit for the test SPARK_HOME built by dev.carousel.spark.LocalSparkHome (jars/ links to
            # a test class path). Same steps as a Spark distribution's bin/spark-submit + bin/spark-class.
            set -u
            SPARK_HOME="${SPARK_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
            export SPARK_HOME
            export SPARK_SCALA_VERSION="${SPARK_SCALA_VERSION:-2.12}"
            export PYTHONHASHSEED=0
            if [ -n "${JAVA_HOME:-}" ]; then RUNNER="$JAVA_HOME/bin/java"; else RUNNER=java; fi

            build_command() {
              "$RUNNER" -Xmx128m ${SPARK_LAUNCHER_OPTS:-} -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main \\
                org.apache.spark.deploy.SparkSubmit "$@"
              printf "%d\\0" $?
            }

            # The launcher prints error text, then a NUL and a newline, then the command, NUL-separated.
            CMD=()
            DELIM=$'\\n'
            CMD_START_FLAG=false
            while IFS= read -d "$DELIM" -r _ARG; do
              ARG=${_ARG//$'\\r'}
              if [ "$CMD_START_FLAG" = true ]; then
                CMD+=("$ARG")
              elif [ "$ARG" = $'\\0' ]; then
                DELIM=''
                CMD_START_FLAG=true
              elif [ -n "$ARG" ]; then
                echo "$ARG"
              fi
            done < <(build_command "$@")

            COUNT=${#CMD[@]}
            if [ "$COUNT" -eq 0 ]; then
              echo "spark-submit: Spark's launcher printed no command" >&2
              exit 1
            fi
            LAST=$((COUNT - 1))
            LAUNCHER_EXIT_CODE=${CMD[$LAST]}
            if ! [[ $LAUNCHER_EXIT_CODE =~ ^[0-9]+$ ]]; then
              echo "${CMD[*]}" >&2
              exit 1
            fi
            if [ "$LAUNCHER_EXIT_CODE" != 0 ]; then
              exit "$LAUNCHER_EXIT_CODE"
            fi
            exec "${CMD[@]:0:$LAST}"
            """;

    /** Class files and resources of the class path entries inside the build folder, first occurrence winning. */
    private static Map<String, byte[]> projectEntries() throws IOException {
        Path build = buildDirectory();
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (Path cp : classPath()) {
            if (!cp.startsWith(build) || cp.startsWith(get())) {
                continue;
            }
            if (Files.isDirectory(cp)) {
                try (Stream<Path> files = Files.walk(cp)) {
                    for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                        entries.putIfAbsent(cp.relativize(f).toString().replace(java.io.File.separatorChar, '/'),
                                Files.readAllBytes(f));
                    }
                }
            } else if (cp.toString().endsWith(".jar") && Files.isRegularFile(cp)) {
                try (JarFile jar = new JarFile(cp.toFile())) {
                    Enumeration<JarEntry> e = jar.entries();
                    while (e.hasMoreElements()) {
                        JarEntry je = e.nextElement();
                        if (!je.isDirectory() && !je.getName().equals(JarFile.MANIFEST_NAME)) {
                            try (InputStream in = jar.getInputStream(je)) {
                                entries.putIfAbsent(je.getName(), in.readAllBytes());
                            }
                        }
                    }
                }
            }
        }
        if (entries.isEmpty()) {
            throw new IOException("no project classes on the class path (nothing under " + build + ")");
        }
        return entries;
    }

    private static void writeJar(Path file, Map<String, byte[]> entries) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        Set<String> dirs = new HashSet<>();
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out, manifest)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                String name = e.getKey();
                for (int i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
                    String dir = name.substring(0, i + 1);
                    if (dirs.add(dir)) {
                        jar.putNextEntry(new JarEntry(dir));
                        jar.closeEntry();
                    }
                }
                jar.putNextEntry(new JarEntry(name));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
    }
}
