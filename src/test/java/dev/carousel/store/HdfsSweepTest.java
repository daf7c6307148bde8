package dev.carousel.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.CliRunner;
import dev.carousel.ml.CarouselModel;
import dev.carousel.ml.MlTestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep whose {@code --out} is on a real HDFS (a MiniDFSCluster: name node and one data node in this JVM): the
 * tables, manifest and report are written there through Hadoop's API, Spark reads the tables back as Delta tables
 * from {@code hdfs://}, a rerun finds every cell committed, and bad URIs are refused in one line before any work; a
 * Spark ML model saved there loads and predicts the same.
 */
class HdfsSweepTest {
    private static MiniDFSCluster cluster;
    private static String root;

    static final String SPEC = "name = hdfs\n"
            + "base {\n"
            + "  task { name = adding, length = 10, validation-sequences = 32 }\n"
            + "  model { hidden = 6 }\n"
            + "  optimizer { name = adam, learning-rate = 0.01 }\n"
            + "  training { batch-size = 8, updates = 20, eval-every = 10 }\n"
            + "  probes { enabled = true, every = 10 }\n"
            + "}\n"
            + "grid {\n  \"model.cell\" = [lstm, rnn]\n  \"model.forget-gate.bias\" = [0, 1]\n}\nseeds = [1]\n";

    /** A distributed run with a round checkpoint after every round. */
    static final String TRAIN = "seed = 9\ntask { name = adding, length = 12, validation-sequences = 32 }\n"
            + "model.hidden = 8\ntraining { batch-size = 8, updates = 240, eval-every = 20 }\nprobes.every = 40\n"
            + "distributed { partitions = 2, local-steps = 4, checkpoint-every = 1 }\n";

    @BeforeAll
    static void startHdfs(@TempDir Path base) throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        root = "hdfs://localhost:" + cluster.getNameNodePort();
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    /** ML persistence on HDFS: MLlib's metadata and the checkpoint folder (committed by its marker) round-trip. */
    @Test
    void aSparkMlModelSavedToHdfsLoadsAndPredictsTheSame() throws IOException {
        SparkSession spark = dev.carousel.spark.SparkSessionExtension.session();
        Dataset<Row> df = MlTestData.adding(spark, 17);
        CarouselModel model = MlTestData.estimator().fit(df);
        String path = root + "/models/adding";
        model.write().save(path);
        Configuration conf = new Configuration();
        assertTrue(Storage.exists(new org.apache.hadoop.fs.Path(path + "/checkpoint/" + Folders.MARKER), conf));
        assertTrue(Storage.exists(new org.apache.hadoop.fs.Path(path + "/checkpoint/parameters.npy"), conf));
        CarouselModel loaded = CarouselModel.load(path);
        assertEquals(model.config(), loaded.config());
        assertEquals(model.transform(df).select("prediction").collectAsList(),
                loaded.transform(df).select("prediction").collectAsList());
    }

    @Test
    void aSweepWritesItsTablesAndReportToHdfsAndSparkReadsThemBack(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("hdfs.conf");
        Files.writeString(spec, SPEC);
        String out = root + "/sweeps/hdfs";
        CliRunner.Run run = CliRunner.cli("sweep", spec.toString(), "--out", out, "--master", "local[2]");
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("3 completed") || run.out().contains("completed"), run.out());

        Configuration conf = new Configuration();
        org.apache.hadoop.fs.Path outPath = new org.apache.hadoop.fs.Path(out);
        assertTrue(Storage.exists(new org.apache.hadoop.fs.Path(outPath, "sweep.json"), conf));
        assertTrue(Storage.exists(new org.apache.hadoop.fs.Path(outPath, "report/index.html"), conf));
        assertTrue(Storage.exists(new org.apache.hadoop.fs.Path(outPath, "runs/_delta_log"), conf));

        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        List<Row> runs = spark.read().format("delta").load(out + "/runs").collectAsList();
        Set<String> cells = runs.stream().map(r -> r.<String>getAs("cell")).collect(Collectors.toSet());
        assertEquals(Set.copyOf(ResultStore.committedCells(outPath, conf)), cells);
        assertEquals(3, cells.size(), "lstm bias 0 and 1, and the rnn (the bias does not apply to it)");
        assertTrue(runs.stream().allMatch(r -> "completed".equals(r.getAs("status"))));
        long curveRows = spark.read().format("delta").load(out + "/curves").count();
        assertEquals(3 * 3, curveRows, "evaluations at updates 0, 10 and 20 of each cell");
        assertTrue(spark.read().format("delta").load(out + "/step_stats").count() > 0);

        CliRunner.Run again = CliRunner.cli("sweep", spec.toString(), "--out", out, "--master", "local[2]");
        assertEquals(0, again.exit(), again.out() + again.err());
        assertTrue(again.out().contains("3 committed in") && again.out().contains("nothing new to run"), again.out());

        CliRunner.Run report = CliRunner.cli("report", out);
        assertEquals(0, report.exit(), report.out() + report.err());
        assertTrue(report.out().contains(out + "/report/index.html"), report.out());
    }

    /**
     * A spec on HDFS whose {@code base} names a run-config file beside it there: {@code validate} and {@code sweep}
     * read both from HDFS (a cluster driver has no copy of the local files); a spec URI that does not exist is
     * refused in one line naming it.
     */
    @Test
    void aSweepSpecAndItsBaseFileAreReadFromHdfs() {
        Configuration conf = new Configuration();
        String specUri = root + "/specs/remote.conf";
        Storage.writeAtomically(new org.apache.hadoop.fs.Path(root + "/specs/base.conf"), ("task { name = adding, "
                + "length = 8, validation-sequences = 16 }\nmodel.hidden = 4\ntraining { batch-size = 4, updates = 10, "
                + "eval-every = 10 }\n").getBytes(java.nio.charset.StandardCharsets.UTF_8), conf);
        Storage.writeAtomically(new org.apache.hadoop.fs.Path(specUri), ("name = remote\nbase = \"base.conf\"\n"
                + "grid { \"model.forget-gate.bias\" = [0, 2] }\nseeds = [3]\n").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                conf);
        CliRunner.Run validate = CliRunner.cli("validate", specUri);
        assertEquals(0, validate.exit(), validate.out() + validate.err());
        assertTrue(validate.out().contains("is valid: 2 cells"), validate.out());

        String out = root + "/sweeps/remote";
        CliRunner.Run run = CliRunner.cli("sweep", specUri, "--out", out, "--master", "local[1]", "-q");
        assertEquals(0, run.exit(), run.out() + run.err());
        assertEquals(2, ResultStore.committedCells(new org.apache.hadoop.fs.Path(out), conf).size());

        CliRunner.Run missing = CliRunner.cli("sweep", root + "/specs/none.conf", "--master", "local[1]");
        assertEquals(2, missing.exit(), missing.out() + missing.err());
        assertOneLineNaming(missing, root + "/specs/none.conf", "sweep spec not found");
    }

    /**
     * {@code hdfs:///path}, README's form for YARN, names a folder on the default file system's name node: resolve
     * qualifies it with that name node, so that FileContext, which takes no default (it refuses "Uri without
     * authority"), replaces files there too.
     */
    @Test
    void aUriWithoutAuthorityIsOnTheDefaultNameNode() {
        Configuration conf = new Configuration();
        conf.set("fs.defaultFS", root);
        org.apache.hadoop.fs.Path dir = Storage.resolve("hdfs:///sweeps/default-name-node", "--out", conf);
        assertEquals(root + "/sweeps/default-name-node", dir.toString());
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir, "sweep.json");
        Storage.writeAtomically(file, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), conf);
        Storage.writeAtomically(file, "{\"a\": 1}".getBytes(java.nio.charset.StandardCharsets.UTF_8), conf);
        assertEquals("{\"a\": 1}", new String(Storage.readAll(file, new Configuration()),
                java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void badUrisAreRefusedInOneLineBeforeAnyWork(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("hdfs.conf");
        Files.writeString(spec, SPEC);
        CliRunner.Run unknown = CliRunner.cli("sweep", spec.toString(), "--out", "nosuchfs://x/y", "--master", "local[1]");
        assertEquals(2, unknown.exit(), unknown.out() + unknown.err());
        assertOneLineNaming(unknown, "nosuchfs://x/y", "no file system for scheme 'nosuchfs'");

        long start = System.nanoTime();
        CliRunner.Run unreachable = CliRunner.cli("sweep", spec.toString(), "--out", "hdfs://127.0.0.1:1/sweeps/x",
                "--master", "local[1]");
        assertEquals(2, unreachable.exit(), unreachable.out() + unreachable.err());
        assertOneLineNaming(unreachable, "hdfs://127.0.0.1:1/sweeps/x", "cannot reach it");
        System.out.printf("unreachable name node refused after %.1f s: %s%n", (System.nanoTime() - start) / 1e9,
                unreachable.err().strip());

        CliRunner.Run report = CliRunner.cli("report", root + "/no/such/folder");
        assertEquals(2, report.exit(), report.out() + report.err());
        assertOneLineNaming(report, root + "/no/such/folder", "does not exist");
    }

    /**
     * {@code train --out hdfs://...} in a driver JVM of its own, killed (SIGKILL) once round checkpoints are committed
     * on HDFS; {@code --resume} from them ends with parameters bit-identical to an uninterrupted local run.
     */
    @Test
    void aTrainKilledWithCheckpointsOnHdfsResumesBitIdentically(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("k.conf");
        Files.writeString(conf, TRAIN);
        String hash = dev.carousel.config.ConfigLoader.hash(dev.carousel.config.ConfigLoader.load(conf));
        String out = root + "/train";
        Configuration hc = new Configuration();
        org.apache.hadoop.fs.Path checkpoints = new org.apache.hadoop.fs.Path(out + "/checkpoints-" + hash);
        Process driver = new ProcessBuilder(CliRunner.separateJvm("train", conf.toString(), "--out", out,
                "--master", "local[2]", "-q")).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile())
                .start();
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(300);
            while (Folders.list(checkpoints, hc).size() < 2) {
                assertTrue(driver.isAlive(), "the run ended before it was killed:\n"
                        + Files.readString(dir.resolve("log")));
                assertTrue(System.nanoTime() < deadline, "no checkpoint in time:\n" + Files.readString(dir.resolve("log")));
                Thread.sleep(50);
            }
        } finally {
            driver.destroyForcibly();
            driver.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        org.apache.hadoop.fs.Path result = new org.apache.hadoop.fs.Path(out + "/train-" + hash);
        assertTrue(!Folders.committed(result, hc), "killed before the run committed");

        CliRunner.Run resumed = CliRunner.cli("train", conf.toString(), "--out", out, "--master", "local[2]",
                "--resume", "-q");
        assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
        assertTrue(Folders.committed(result, hc), "the run is committed on HDFS");
        assertTrue(!Storage.exists(checkpoints, hc), "its checkpoints are removed");

        Path clean = dir.resolve("clean");
        assertEquals(0, CliRunner.cli("train", conf.toString(), "--out", clean.toString(), "--master", "local[2]", "-q")
                .exit());
        byte[] local = Files.readAllBytes(clean.resolve("train-" + hash).resolve("checkpoint/parameters.npy"));
        byte[] onHdfs = Storage.readAll(new org.apache.hadoop.fs.Path(result, "checkpoint/parameters.npy"), hc);
        org.junit.jupiter.api.Assertions.assertArrayEquals(local, onHdfs, "θ bit-identical");
        // probe reads the run's checkpoint from HDFS and writes its bundle there, committed by its marker.
        CliRunner.Run probe = CliRunner.cli("probe", "--checkpoint", result + "/checkpoint", "--out", root + "/probe");
        assertEquals(0, probe.exit(), probe.out() + probe.err());
        org.apache.hadoop.fs.Path bundle = new org.apache.hadoop.fs.Path(root + "/probe");
        assertTrue(Folders.committed(bundle, hc) && Storage.exists(new org.apache.hadoop.fs.Path(bundle, "manifest.json"),
                hc) && Storage.exists(new org.apache.hadoop.fs.Path(bundle, "grad_h.npy"), hc), probe.out());

        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        for (String table : List.of("curves", "step_stats")) {
            assertEquals(spark.read().parquet(clean.resolve("train-" + hash).resolve(table).toString()).collectAsList()
                            .stream().map(Row::toString).sorted().toList(),
                    spark.read().parquet(result + "/" + table).collectAsList().stream().map(Row::toString).sorted()
                            .toList(), table);
        }
    }

    /**
     * {@code train} on CSV and Parquet datasets whose {@code data.path} is on HDFS, read by the executors from
     * there: the parameters equal, bit for bit, those of the same data read from local disk. A bad record in an
     * HDFS file is named by its URI and line, before any training.
     */
    @Test
    void trainReadsCsvAndParquetDataFromHdfs(@TempDir Path dir) throws IOException {
        Configuration hc = new Configuration();
        org.apache.hadoop.fs.FileSystem fs = new org.apache.hadoop.fs.Path(root).getFileSystem(hc);
        Path csv = dir.resolve("seqs.csv");
        Files.writeString(csv, dev.carousel.cli.FileDataTrainTestData.csv(false));
        Path parquet = dir.resolve("seqs.parquet");
        SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("features", org.apache.spark.sql.types.DataTypes.createArrayType(
                        org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.FloatType)))
                .add("target", org.apache.spark.sql.types.DataTypes.createArrayType(
                        org.apache.spark.sql.types.DataTypes.FloatType));
        List<Row> rows = new java.util.ArrayList<>();
        for (int s = 0; s < 40; s++) {
            List<List<Float>> features = new java.util.ArrayList<>();
            for (int t = 0; t < 5; t++) {
                features.add(List.of((float) ((s * 7 + t) % 10) / 10f, t == 1 ? 1f : 0f));
            }
            rows.add(org.apache.spark.sql.RowFactory.create(features, List.of((float) (s % 3))));
        }
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(parquet.toString());
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(csv.toUri()), new org.apache.hadoop.fs.Path(root + "/data/seqs.csv"));
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(parquet.toUri()), new org.apache.hadoop.fs.Path(root + "/data/"));

        for (String[] data : List.of(new String[] {"csv", csv.toString(), root + "/data/seqs.csv"},
                new String[] {"parquet", parquet.toString(), root + "/data/seqs.parquet"})) {
            byte[][] theta = new byte[2][];
            for (int k = 0; k < 2; k++) {
                Path conf = dir.resolve(data[0] + k + ".conf");
                Files.writeString(conf, dev.carousel.cli.FileDataTrainTestData.BASE + "data { format = " + data[0]
                        + ", path = \"" + data[k + 1] + "\", validation-fraction = 0.2 }\n");
                Path out = dir.resolve("out-" + data[0] + k);
                CliRunner.Run run = CliRunner.cli("train", conf.toString(), "--out", out.toString(), "--master", "local[2]",
                        "-q");
                assertEquals(0, run.exit(), run.out() + run.err());
                try (var children = Files.list(out)) {
                    Path result = children.filter(p -> p.getFileName().toString().startsWith("train-")).findFirst()
                            .orElseThrow();
                    theta[k] = Files.readAllBytes(result.resolve("checkpoint/parameters.npy"));
                }
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(theta[0], theta[1], data[0] + ": θ from HDFS data");
        }

        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(writeBroken(dir).toUri()),
                new org.apache.hadoop.fs.Path(root + "/data/broken.csv"));
        Path conf = dir.resolve("broken.conf");
        Files.writeString(conf, dev.carousel.cli.FileDataTrainTestData.BASE + "data { format = csv, path = \"" + root
                + "/data/broken.csv\" }\n");
        CliRunner.Run bad = CliRunner.cli("train", conf.toString(), "--out", dir.resolve("bad").toString(), "--master",
                "local[2]");
        assertEquals(2, bad.exit(), bad.out() + bad.err());
        String err = bad.err().lines().filter(l -> l.startsWith("carousel:")).findFirst().orElseThrow();
        assertTrue(err.contains(root + "/data/broken.csv:39") && err.contains("oops"), err);
        assertTrue(Files.notExists(dir.resolve("bad")), "nothing written for bad data");

        Files.writeString(conf, dev.carousel.cli.FileDataTrainTestData.BASE + "data { format = csv, path = \"" + root
                + "/data/absent.csv\" }\n");
        CliRunner.Run absent = CliRunner.cli("train", conf.toString(), "--out", dir.resolve("bad").toString());
        assertEquals(2, absent.exit(), absent.out() + absent.err());
        assertTrue(absent.err().contains(root + "/data/absent.csv") && absent.err().contains("no such file"), absent.err());
    }

    /** A run config read from HDFS is the same config as its local copy; a missing one is refused in one line. */
    @Test
    void aConfigFileOnHdfsIsReadFromThere(@TempDir Path dir) throws IOException {
        Path local = dir.resolve("k.conf");
        Files.writeString(local, TRAIN);
        new org.apache.hadoop.fs.Path(root).getFileSystem(new Configuration()).copyFromLocalFile(
                new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path(root + "/conf/k.conf"));
        String hash = dev.carousel.config.ConfigLoader.hash(dev.carousel.config.ConfigLoader.load(local));
        CliRunner.Run remote = CliRunner.cli("validate", root + "/conf/k.conf", "--set", "seed=9");
        assertEquals(0, remote.exit(), remote.out() + remote.err());
        assertTrue(remote.out().contains("config " + hash + " is valid"), remote.out());
        CliRunner.Run missing = CliRunner.cli("validate", root + "/conf/absent.conf");
        assertEquals(2, missing.exit(), missing.out() + missing.err());
        assertOneLineNaming(missing, root + "/conf/absent.conf", "config file not found");
    }

    private static Path writeBroken(Path dir) throws IOException {
        Path p = dir.resolve("broken.csv");
        Files.writeString(p, dev.carousel.cli.FileDataTrainTestData.csv(true));
        return p;
    }

    private static void assertOneLineNaming(CliRunner.Run run, String uri, String what) {
        String err = run.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.contains(uri) && err.contains(what), err);
        assertTrue(run.out().isBlank() || !run.out().contains("cells done"), "no work started: " + run.out());
    }
}
