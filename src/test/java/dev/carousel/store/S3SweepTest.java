package dev.carousel.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;
import dev.carousel.cli.CliRunner;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep whose {@code --out} is in an S3 bucket: a real S3 API server (S3Proxy, in-memory store, in a JVM of its
 * own) reached through Hadoop's {@code s3a://} client, configured as a cluster would be, with
 * {@code spark.hadoop.fs.s3a.*} settings. The driver is killed (SIGKILL) mid-sweep; the rerun recomputes no
 * committed cell and ends with the tables of an uninterrupted run; Spark reads them as Delta tables from s3a.
 */
class S3SweepTest {
    private static final String BUCKET = "carousel-results";
    private static Process server;
    private static Map<String, String> s3a;

    static final String SPEC = "name = s3\n"
            + "base {\n"
            + "  task { name = adding, length = 10, validation-sequences = 32 }\n"
            + "  model { hidden = 6 }\n"
            + "  optimizer { name = adam, learning-rate = 0.01 }\n"
            + "  training { batch-size = 8, updates = 60, eval-every = 10 }\n"
            + "  probes { enabled = true, every = 30 }\n"
            + "}\n"
            + "grid {\n  \"model.cell\" = [lstm]\n  \"model.forget-gate.bias\" = [-1, 0, 1, 2, 3]\n}\nseeds = [1, 2]\n";

    @BeforeAll
    static void startS3(@TempDir Path work) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + port;
        Path props = work.resolve("s3proxy.conf");
        // The in-memory store: S3Proxy's filesystem store does not answer the bulk delete of a directory marker that
        // s3a sends after each upload.
        Files.writeString(props, "s3proxy.endpoint=" + endpoint + "\ns3proxy.authorization=aws-v2-or-v4\n"
                + "s3proxy.identity=test-access\ns3proxy.credential=test-secret\njclouds.provider=transient\n");
        server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-DLOG_LEVEL=warn", "-jar", System.getProperty("s3proxy.jar"), "--properties", props.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("s3proxy.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                break;
            } catch (IOException notYet) {
                assertTrue(server.isAlive() && System.nanoTime() < deadline, "S3Proxy did not start: "
                        + Files.readString(work.resolve("s3proxy.log")));
                Thread.sleep(50);
            }
        }
        AmazonS3 client = AmazonS3ClientBuilder.standard()
                .withEndpointConfiguration(new AwsClientBuilder.EndpointConfiguration(endpoint, "us-east-1"))
                .withPathStyleAccessEnabled(true)
                .withCredentials(new AWSStaticCredentialsProvider(new BasicAWSCredentials("test-access", "test-secret")))
                .build();
        client.createBucket(BUCKET);
        client.shutdown();

        s3a = new LinkedHashMap<>();
        s3a.put("fs.s3a.endpoint", endpoint);
        s3a.put("fs.s3a.endpoint.region", "us-east-1");
        s3a.put("fs.s3a.path.style.access", "true");
        s3a.put("fs.s3a.connection.ssl.enabled", "false");
        s3a.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        s3a.put("fs.s3a.access.key", "test-access");
        s3a.put("fs.s3a.secret.key", "test-secret");
        s3a.forEach((k, v) -> System.setProperty("spark.hadoop." + k, v)); // as spark-submit passes --conf
    }

    @AfterAll
    static void stopS3() throws Exception {
        if (s3a != null) {
            s3a.keySet().forEach(k -> System.clearProperty("spark.hadoop." + k));
        }
        FileSystem.closeAll(); // the cached s3a instance points at this server's port
        if (server != null) {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Map<String, String> runsByCell(SparkSession spark, String out) {
        Map<String, String> m = new TreeMap<>();
        for (Row r : spark.read().format("delta").load(out + "/runs").collectAsList()) {
            m.put(r.getAs("cell"), r.toString());
        }
        return m;
    }

    @Test
    void aSweepKilledMidwayOnS3ResumesWithoutRecomputingCommittedCells(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("s3.conf");
        Files.writeString(spec, SPEC);
        String out = "s3a://" + BUCKET + "/sweeps/s3";
        Configuration conf = Storage.hadoopConf();
        org.apache.hadoop.fs.Path outPath = new org.apache.hadoop.fs.Path(out);
        List<String> jvm = new ArrayList<>();
        s3a.forEach((k, v) -> jvm.add("-Dspark.hadoop." + k + "=" + v));
        jvm.add("-Dcom.amazonaws.sdk.disableEc2Metadata=true");
        Process driver = new ProcessBuilder(CliRunner.separateJvm(jvm, List.of("hadoop-aws", "aws-java-sdk-bundle"),
                "sweep", spec.toString(), "--out", out, "--master", "local[2]", "--commit-seconds", "0"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("driver.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (!Storage.exists(new org.apache.hadoop.fs.Path(out + "/runs/_delta_log"), conf)
                    || ResultStore.committedCells(outPath, conf).size() < 2) {
                assertTrue(driver.isAlive(), "the driver ended before it was killed:\n"
                        + Files.readString(dir.resolve("driver.log")));
                assertTrue(System.nanoTime() < deadline, "no cell committed in time:\n"
                        + Files.readString(dir.resolve("driver.log")));
                Thread.sleep(100);
            }
        } finally {
            driver.destroyForcibly();
            driver.waitFor(60, TimeUnit.SECONDS);
        }
        List<String> survivors = ResultStore.committedCells(outPath, conf);
        assertTrue(survivors.size() >= 2 && survivors.size() < 10, survivors.size() + " of 10 cells committed");
        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        s3a.forEach((k, v) -> spark.sparkContext().hadoopConfiguration().set(k, v));
        Map<String, String> before = runsByCell(spark, out);
        assertEquals(survivors, List.copyOf(before.keySet()), "Spark's Delta reader sees exactly the committed cells");

        CliRunner.Run resumed = CliRunner.cli("sweep", spec.toString(), "--out", out, "--master", "local[2]");
        assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains(survivors.size() + " committed in")
                && resumed.out().contains((10 - survivors.size()) + " to run"), resumed.out());
        SparkSession again = SparkSession.builder().master("local[1]").getOrCreate();
        s3a.forEach((k, v) -> again.sparkContext().hadoopConfiguration().set(k, v));
        Map<String, String> after = runsByCell(again, out);
        assertEquals(10, after.size());
        for (String cell : survivors) {
            assertEquals(before.get(cell), after.get(cell), "committed cell " + cell + " was not recomputed");
        }
        assertTrue(Storage.exists(new org.apache.hadoop.fs.Path(out + "/report/index.html"), conf));
        assertTrue(Storage.exists(new org.apache.hadoop.fs.Path(out + "/report/" + Folders.MARKER), conf));

        Path clean = dir.resolve("clean");
        assertEquals(0, CliRunner.cli("sweep", spec.toString(), "--out", clean.toString(), "--master", "local[2]").exit());
        SparkSession last = SparkSession.builder().master("local[1]").getOrCreate(); // the CLI stopped the other
        s3a.forEach((k, v) -> last.sparkContext().hadoopConfiguration().set(k, v));
        for (String table : List.of("curves", "step_stats")) {
            assertEquals(sortedRows(last, clean + "/" + table), sortedRows(last, out + "/" + table), table);
        }
    }

    @Test
    void aMissingBucketIsRefusedInOneLine(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("s3.conf");
        Files.writeString(spec, SPEC);
        CliRunner.Run run = CliRunner.cli("sweep", spec.toString(), "--out", "s3a://no-such-bucket/x", "--master",
                "local[1]");
        assertEquals(2, run.exit(), run.out() + run.err());
        String err = run.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains("s3a://no-such-bucket/x") && err.contains("cannot reach it"), err);
    }

    private static List<String> sortedRows(SparkSession spark, String table) {
        return spark.read().format("delta").load(table).collectAsList().stream().map(Row::toString).sorted().toList();
    }
}
