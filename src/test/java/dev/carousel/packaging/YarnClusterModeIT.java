package dev.carousel.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.store.ResultTables;
import dev.carousel.store.Storage;
import dev.carousel.store.Table;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's YARN cluster-mode recipe end to end: {@code jobs/sweep.sh --env yarn --deploy-mode cluster --files SPEC
 * SPEC --out hdfs:///...} against a YARN cluster (a MiniYARNCluster: resource manager and one node manager) and an
 * HDFS (a MiniDFSCluster) in this JVM, known to spark-submit only through the HADOOP_CONF_DIR this test writes. The
 * driver runs in the application master's container and the executor in another, both started by the node manager
 * from the test Spark installation's jars (with spark-yarn) and the shaded application jar, which spark-submit
 * uploads to HDFS; the spec reaches the driver through {@code --files}. Minutes long, so only in {@code mvn -B -Pyarn
 * verify}.
 */
@Tag("yarn")
class YarnClusterModeIT {
    /** Four tiny cells: LSTM and tanh-RNN, two seeds each. */
    static final String SPEC = "name = yarn\n"
            + "base {\n"
            + "  task { name = adding, length = 10, validation-sequences = 32 }\n"
            + "  model { hidden = 4 }\n"
            + "  optimizer { name = adam, learning-rate = 0.01 }\n"
            + "  training { batch-size = 8, updates = 20, eval-every = 10 }\n"
            + "  probes { enabled = true, every = 10 }\n"
            + "}\n"
            + "grid { \"model.cell\" = [lstm, rnn] }\nseeds = [1, 2]\n";

    private static MiniDFSCluster hdfs;
    private static MiniYARNCluster yarn;
    /** The cluster's client configuration, as written to HADOOP_CONF_DIR. */
    private static Configuration cluster;

    @BeforeAll
    static void startClusters(@TempDir Path base) throws IOException {
        Configuration dfsConf = new Configuration();
        dfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("hdfs").toString());
        hdfs = new MiniDFSCluster.Builder(dfsConf).numDataNodes(1).build();
        hdfs.waitActive();

        YarnConfiguration conf = new YarnConfiguration();
        // Applications stage their jars and configuration on the HDFS, as on a real cluster.
        conf.set("fs.defaultFS", hdfs.getFileSystem().getUri().toString());
        // Containers sized for a 2-core machine: the application master (the driver) and one executor, each a
        // 1 GB heap plus overhead, fit the node's 6 GB; YARN rounds each request up to a multiple of 256 MB.
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, 4096);
        // The MiniYARNCluster gives its node manager this key's memory, in place of NM_PMEM_MB's.
        conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 6144);
        conf.setInt(YarnConfiguration.NM_VCORES, 4);
        // The capacity scheduler (YARN's default) with one queue, as capacity-scheduler.xml would set it up; the
        // minicluster jar carries no such file. Its default 10 % share for application masters is 614 MB of
        // 6 GB, less than one.
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.setFloat("yarn.scheduler.capacity.root.default.capacity", 100f);
        conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 0.5f);
        // Physical memory stays checked (YARN kills a container past its size, as a cluster does); virtual
        // memory is not: a JVM reserves far more address space than it uses.
        conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        // A nearly full disk must not mark the node's local and log folders bad (the node would then run nothing).
        conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 99.9f);
        conf.setLong(YarnConfiguration.NM_MIN_PER_DISK_FREE_SPACE_MB, 0);
        // Local and log folders under target/yarn-cluster-mode (the node manager's working folder).
        yarn = new MiniYARNCluster("yarn-cluster-mode", 1, 1, 1);
        yarn.init(conf);
        yarn.start();
        // After start, the configuration names the resource manager's real addresses.
        cluster = new Configuration(yarn.getConfig());
    }

    @AfterAll
    static void stopClusters() {
        if (yarn != null) {
            yarn.stop();
        }
        if (hdfs != null) {
            hdfs.shutdown();
        }
    }

    @Test
    void aSweepInClusterModeWritesEveryCellAndTheReportToHdfs(@TempDir Path dir) throws IOException, InterruptedException {
        Path hadoopConf = Files.createDirectories(dir.resolve("hadoop-conf"));
        writeSite(cluster, "fs.defaultFS", hadoopConf.resolve("core-site.xml"));
        writeSite(hdfs.getConfiguration(0), "dfs.", hadoopConf.resolve("hdfs-site.xml"));
        writeSite(cluster, "yarn.", hadoopConf.resolve("yarn-site.xml"));
        Path spec = dir.resolve("yarn.conf");
        Files.writeString(spec, SPEC);
        String out = "hdfs:///sweeps/yarn";

        // spark-submit's YARN client at INFO: the application's id, its state changes and its final status.
        Path clientLog = dir.resolve("log4j2-client.properties");
        Files.writeString(clientLog, Files.readString(Path.of(System.getProperty("basedir", "")).toAbsolutePath()
                .resolve("conf/log4j2.properties")) + "\nlogger.yarnclient.name = org.apache.spark.deploy.yarn.Client\n"
                + "logger.yarnclient.level = info\n");

        long start = System.nanoTime();
        SubmitScriptsIT.Submitted submitted;
        try {
            submitted = SubmitScriptsIT.run(dir, Map.of("HADOOP_CONF_DIR", hadoopConf.toString(), "YARN_CONF_DIR",
                    hadoopConf.toString(), "SPARK_SUBMIT_OPTS", "-Dlog4j2.configurationFile=" + clientLog), 15, "sweep.sh",
                "--env", "yarn", "--deploy-mode", "cluster", "--files", spec.toString(),
                // Small containers and one executor of two task slots, in place of conf/yarn.properties' 7.5 GB.
                "--driver-memory", "1g", "--conf", "spark.driver.memoryOverhead=512m",
                "--num-executors", "1", "--executor-cores", "2", "--executor-memory", "1g",
                "--conf", "spark.executor.memoryOverhead=512m",
                "yarn.conf", "--out", out);
        } catch (AssertionError timedOut) {
            throw new AssertionError(timedOut.getMessage() + applications() + containerLogs(), timedOut);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "jobs/sweep.sh --deploy-mode cluster on YARN: exit %d after %.1f s%n",
                submitted.exit(), seconds);
        String logs = containerLogs();
        assertEquals(0, submitted.exit(), submitted.output() + applications() + logs);

        Collection<RMApp> apps = yarn.getResourceManager().getRMContext().getRMApps().values();
        assertEquals(1, apps.size(), "one application" + logs);
        RMApp app = apps.iterator().next();
        assertEquals(FinalApplicationStatus.SUCCEEDED, app.getFinalApplicationStatus(), app.getDiagnostics() + logs);
        // A driver that ends the JVM itself would make YARN record a failure and start a second attempt.
        assertEquals(1, app.getAppAttempts().size(), "attempts" + logs);
        assertTrue(logs.contains("[cells 4/4 done"), "the driver's sweep output is in a container's log:" + logs);

        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(hdfs.getURI() + "/sweeps/yarn");
        List<Row> runs = Table.at(new org.apache.hadoop.fs.Path(root, "runs"), cluster).read(ResultTables.RUNS,
                "cell", "status", "model_cell", "seed");
        assertEquals(4, runs.size(), runs + logs);
        Set<String> cells = runs.stream().map(r -> r.getString(2) + "/" + r.getLong(3)).collect(Collectors.toSet());
        assertEquals(Set.of("lstm/1", "lstm/2", "rnn/1", "rnn/2"), cells);
        assertTrue(runs.stream().allMatch(r -> "completed".equals(r.getString(1))), runs.toString());
        assertTrue(Storage.exists(new org.apache.hadoop.fs.Path(root, "sweep.json"), cluster));
        assertTrue(Storage.exists(new org.apache.hadoop.fs.Path(root, "report/index.html"), cluster),
                "report/index.html on HDFS");
    }

    /** Each application the resource manager knows, with its state and diagnostics. */
    private static String applications() {
        StringBuilder text = new StringBuilder("\napplications:");
        for (RMApp app : yarn.getResourceManager().getRMContext().getRMApps().values()) {
            text.append("\n  ").append(app.getApplicationId()).append(' ').append(app.getState()).append(' ')
                    .append(app.getFinalApplicationStatus()).append(": ").append(app.getDiagnostics());
        }
        return text.toString();
    }

    /**
     * The properties of {@code conf} whose names start with {@code prefix}, as a Hadoop site file. Not all of them:
     * each of the test's configurations holds every default file's values, and a full copy in hdfs-site.xml
     * (loaded once HDFS's classes are, after yarn-site.xml) would set yarn.resourcemanager.address back to
     * yarn-default.xml's 0.0.0.0:8032.
     */
    private static void writeSite(Configuration conf, String prefix, Path file) throws IOException {
        Configuration site = new Configuration(false);
        for (Map.Entry<String, String> e : conf) {
            if (e.getKey().startsWith(prefix)) {
                site.set(e.getKey(), e.getValue());
            }
        }
        try (OutputStream o = Files.newOutputStream(file)) {
            site.writeXml(o);
        }
    }

    /**
     * The tail of every container's stdout and stderr in the node manager's log folders, for failure messages:
     * the driver's output and stack traces are there, not in spark-submit's.
     */
    private static String containerLogs() {
        StringBuilder text = new StringBuilder();
        for (String logDir : yarn.getNodeManager(0).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS)) {
            Path folder = Path.of(java.net.URI.create(logDir).getPath());
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(folder)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                    List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                    text.append("\n==> ").append(f).append(" (last 60 of ").append(lines.size()).append(" lines)\n");
                    lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(l -> text.append(l).append('\n'));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return text.toString();
    }
}
