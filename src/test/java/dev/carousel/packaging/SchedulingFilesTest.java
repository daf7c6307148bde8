package dev.carousel.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.sweep.SweepSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The files that schedule sweeps outside this build (no Docker engine or Kubernetes here): the image, the
 * Kubernetes manifest, the properties and the cron example must agree on paths, and what they run must exist and
 * validate.
 */
class SchedulingFilesTest {
    static final Path DOCKERFILE = Path.of("docker/Dockerfile");
    static final Path MANIFEST = Path.of("jobs/k8s/forget-gate-nightly.yaml");
    static final Path CRON = Path.of("jobs/cron/carousel-sweeps.cron");
    static final Path NAMESPACE = Path.of("jobs/k8s/carousel-namespace.yaml");

    /** The value of {@code key: value} on its own line of the manifest (first match). */
    static String yaml(String text, String key) {
        Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(key) + ":\\s*\"?([^\"\\n]*?)\"?\\s*$").matcher(text);
        assertTrue(m.find(), key + " missing");
        return m.group(1);
    }

    @Test
    void theScheduledSparkApplicationForbidsOverlapAndRunsTheSweepFromTheImage() throws IOException {
        String k8s = Files.readString(MANIFEST);
        String docker = Files.readString(DOCKERFILE);
        assertEquals("ScheduledSparkApplication", yaml(k8s, "kind"));
        assertEquals("Forbid", yaml(k8s, "concurrencyPolicy"));
        assertEquals("dev.carousel.cli.Main", yaml(k8s, "mainClass"));
        Class<?> main = assertDoesNotThrowClass("dev.carousel.cli.Main");
        assertEquals("Main", main.getSimpleName());

        String jar = yaml(k8s, "mainApplicationFile");
        assertTrue(jar.startsWith("local://"), jar);
        String inImage = jar.substring("local://".length());
        assertTrue(docker.contains("-app.jar " + inImage), "the Dockerfile puts the jar at " + inImage);
        assertTrue(Files.readString(Path.of("jobs/submit.sh")).contains("jar=\"" + jar + "\""), "submit.sh --env k8s uses the same jar");

        // arguments: sweep /opt/carousel/conf/... --out ...: the spec is this repository's conf/, copied by the image.
        List<String> args = Pattern.compile("(?m)^\\s+- (\\S+)\\s*$").matcher(k8s.substring(k8s.indexOf("arguments:")))
                .results().map(r -> r.group(1)).limit(6).toList();
        assertEquals("sweep", args.get(0));
        assertTrue(args.get(1).startsWith("/opt/carousel/conf/"), args.get(1));
        assertTrue(docker.contains("COPY conf/ /opt/carousel/conf/"));
        Path spec = Path.of("conf").resolve(args.get(1).substring("/opt/carousel/conf/".length()));
        assertTrue(SweepSpec.load(spec).cells().size() > 0, spec + " validates");
        assertEquals("--out", args.get(2));
        String out = args.get(3);
        assertTrue(out.startsWith(yaml(k8s, "mountPath") + "/"), "--out is on the mounted results volume: " + out);
    }

    /** The documents of a multi-document YAML file, by kind (one of each kind). */
    static java.util.Map<String, String> byKind(String text) {
        java.util.Map<String, String> docs = new java.util.LinkedHashMap<>();
        for (String doc : text.split("(?m)^---\\s*$")) {
            assertEquals(null, docs.put(yaml(doc, "kind"), doc), "one of each kind");
        }
        return docs;
    }

    /** The value of {@code key: value} on its own line, also as a list item ({@code - key: value}). */
    static String item(String text, String key) {
        Matcher m = Pattern.compile("(?m)^[\\s-]*" + Pattern.quote(key) + ":\\s*\"?([^\"\\n]*?)\"?\\s*$").matcher(text);
        assertTrue(m.find(), key + " missing");
        return m.group(1);
    }

    /** The items of a flow list, {@code key: [a, b]}. */
    static List<String> flowList(String doc, String key) {
        Matcher m = Pattern.compile("(?m)^[\\s-]*" + Pattern.quote(key) + ":\\s*\\[([^\\]]*)\\]").matcher(doc);
        assertTrue(m.find(), key + " missing");
        return List.of(m.group(1).split("\\s*,\\s*")).stream().map(String::trim).toList();
    }

    @Test
    void theNamespaceGivesTheDriversServiceAccountItsRightsAndTheSweepItsClaim() throws IOException {
        String k8s = Files.readString(MANIFEST);
        java.util.Map<String, String> docs = byKind(Files.readString(NAMESPACE));
        assertEquals(java.util.Set.of("Namespace", "ServiceAccount", "Role", "RoleBinding", "PersistentVolumeClaim"), docs.keySet());
        java.util.Properties props = new java.util.Properties();
        try (java.io.Reader r = Files.newBufferedReader(Path.of("conf/k8s.properties"))) {
            props.load(r);
        }

        // One namespace for the sweep, spark-submit --env k8s and every object here.
        String namespace = yaml(docs.get("Namespace"), "name");
        assertEquals(namespace, yaml(k8s, "namespace"));
        assertEquals(namespace, props.getProperty("spark.kubernetes.namespace"));
        for (String kind : List.of("ServiceAccount", "Role", "RoleBinding", "PersistentVolumeClaim")) {
            assertEquals(namespace, yaml(docs.get(kind), "namespace"), kind);
        }

        // The drivers' service account, bound to a role that lets a driver manage its executors' objects.
        String account = yaml(docs.get("ServiceAccount"), "name");
        assertEquals(account, yaml(k8s, "serviceAccount"));
        assertEquals(account, props.getProperty("spark.kubernetes.authenticate.driver.serviceAccountName"));
        String role = docs.get("Role");
        assertEquals(List.of(""), flowList(role, "apiGroups").stream().map(g -> g.replace("\"", "")).toList(), "the core API group");
        assertTrue(flowList(role, "resources").containsAll(List.of("pods", "services", "configmaps", "persistentvolumeclaims")), role);
        assertTrue(flowList(role, "verbs").containsAll(List.of("get", "list", "watch", "create", "delete", "deletecollection")), role);
        String binding = docs.get("RoleBinding");
        String subjects = binding.substring(binding.indexOf("subjects:"), binding.indexOf("roleRef:"));
        assertEquals("ServiceAccount", item(subjects, "kind"));
        assertEquals(account, yaml(subjects, "name"));
        assertEquals(namespace, yaml(subjects, "namespace"));
        String roleRef = binding.substring(binding.indexOf("roleRef:"));
        assertEquals("Role", yaml(roleRef, "kind"));
        assertEquals(yaml(role, "name"), yaml(roleRef, "name"));

        // The sweep's results claim exists, and the image's spark group (185) may write to it.
        String claim = yaml(k8s, "claimName");
        assertEquals(claim, yaml(docs.get("PersistentVolumeClaim"), "name"));
        String driver = k8s.substring(k8s.indexOf("    driver:"), k8s.indexOf("    executor:"));
        assertEquals("185", yaml(driver, "fsGroup"));
        assertTrue(Files.readString(DOCKERFILE).contains("uid 185"));
    }

    @Test
    void theImageIsTheOfficialSpark35Java17OneWithThisVersionsJar() throws IOException {
        String docker = Files.readString(DOCKERFILE);
        Matcher base = Pattern.compile("(?m)^ARG SPARK_IMAGE=(\\S+)$").matcher(docker);
        assertTrue(base.find());
        assertTrue(base.group(1).matches("apache/spark:3\\.5\\.\\d+-scala2\\.12-java17-ubuntu"), base.group(1));
        assertTrue(docker.contains("FROM ${SPARK_IMAGE}"));
        Matcher version = Pattern.compile("(?m)^ARG CAROUSEL_VERSION=(\\S+)$").matcher(docker);
        assertTrue(version.find());
        String pom = Files.readString(Path.of("pom.xml"));
        assertTrue(pom.contains("<version>" + version.group(1) + "</version>"), "the jar name follows the pom version");
    }

    @Test
    void theJarIsAddedInOneLayerReadableByAllAndTheWorkingDirectoryIsTheSparkUsers() throws IOException {
        String docker = Files.readString(DOCKERFILE);
        List<String> instructions = docker.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
        List<String> jarCopies = instructions.stream().filter(l -> l.contains("-app.jar")).toList();
        assertEquals(1, jarCopies.size(), jarCopies.toString());
        Matcher copy = Pattern.compile("^COPY --chown=spark:spark --chmod=(0?[0-7]{3}) \\S+-app\\.jar (\\S+)$").matcher(jarCopies.get(0));
        assertTrue(copy.matches(), "owner and mode set by the COPY itself: " + jarCopies.get(0));
        int mode = Integer.parseInt(copy.group(1), 8);
        assertEquals(0444, mode & 0444, "readable by every uid");
        assertEquals(0, mode & 0222, "read-only");
        assertTrue(docker.contains("BuildKit"), "the comment says COPY --chmod needs BuildKit");
        // A later chmod/chown reaching the jar would store it in a second layer.
        String jar = copy.group(2);
        for (String line : instructions.stream().filter(l -> l.startsWith("RUN")).toList()) {
            for (String command : line.substring(3).split("&&|;")) {
                List<String> words = List.of(command.trim().split("\\s+"));
                if (!words.get(0).equals("chmod") && !words.get(0).equals("chown")) {
                    continue;
                }
                boolean recursive = words.contains("-R");
                for (String target : words.stream().filter(w -> w.startsWith("/")).toList()) {
                    assertTrue(!target.equals(jar) && !(recursive && jar.startsWith(target.replaceAll("/$", "") + "/")),
                            command.trim() + " reaches " + jar);
                }
            }
        }

        Matcher workdir = Pattern.compile("(?m)^WORKDIR (\\S+)$").matcher(docker);
        assertTrue(workdir.find());
        String dir = workdir.group(1);
        assertTrue(instructions.stream().anyMatch(l -> l.startsWith("RUN") && l.matches(".*chown spark:spark( /\\S+)* " + Pattern.quote(dir) + "( .*)?$")),
                "WORKDIR " + dir + " belongs to the spark user");
    }

    @Test
    void theCronExampleRunsExistingSpecsThroughSweepShUnderALock() throws IOException {
        List<String> jobs = Files.readAllLines(CRON).stream().filter(l -> !l.isBlank() && !l.startsWith("#"))
                .filter(l -> l.matches("^[0-9*].*")).toList();
        assertTrue(!jobs.isEmpty());
        for (String line : jobs) {
            assertTrue(line.contains("flock -n") && line.contains("jobs/sweep.sh"), line);
            Matcher spec = Pattern.compile("(conf/sweeps/\\S+\\.conf)").matcher(line);
            assertTrue(spec.find(), line);
            assertTrue(SweepSpec.load(Path.of(spec.group(1))).cells().size() > 0);
        }
        assertTrue(Files.isExecutable(Path.of("jobs/sweep.sh")) && Files.isExecutable(Path.of("jobs/submit.sh")));
    }

    @Test
    void theCronExampleGivesSparkSubmitItsEnvironment() throws IOException {
        // cron's environment is bare: the assignments before the first job must name Java, Spark and a PATH.
        List<String> lines = Files.readAllLines(CRON);
        int firstJob = 0;
        while (firstJob < lines.size() && !lines.get(firstJob).matches("^[0-9*].*")) {
            firstJob++;
        }
        java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
        for (String line : lines.subList(0, firstJob)) {
            Matcher m = Pattern.compile("^([A-Z_]+)=(.*)$").matcher(line);
            if (m.matches()) {
                env.put(m.group(1), m.group(2));
            }
        }
        for (String name : new String[] {"PATH", "JAVA_HOME", "SPARK_HOME"}) {
            String value = env.get(name);
            assertTrue(value != null && value.startsWith("/") && !value.contains("$"),
                    name + " must be set to literal absolute paths (cron expands nothing): " + value);
        }
        List<String> path = List.of(env.get("PATH").split(":"));
        assertTrue(path.contains("/usr/bin") && path.contains("/bin"), "PATH must still find flock and bash: " + path);
        assertTrue(env.get("JAVA_HOME").contains("17"), "Carousel needs Java 17: " + env.get("JAVA_HOME"));
    }

    private static Class<?> assertDoesNotThrowClass(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(name + " is not a class of this build", e);
        }
    }
}
