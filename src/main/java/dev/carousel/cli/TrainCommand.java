package dev.carousel.cli;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.data.LossKind;
import dev.carousel.io.AtomicDirectory;
import dev.carousel.io.Json;
import dev.carousel.report.RunSummary;
import dev.carousel.report.SweepReport;
import dev.carousel.spark.DataLocation;
import dev.carousel.spark.DistributedTrainer;
import dev.carousel.spark.FileDataset;
import dev.carousel.spark.RoundPlan;
import dev.carousel.spark.Shard;
import dev.carousel.store.Folders;
import dev.carousel.store.ParquetFiles;
import dev.carousel.store.ResultTables;
import dev.carousel.store.Table;
import dev.carousel.store.Storage;
import dev.carousel.train.Checkpoint;
import dev.carousel.train.CurvePoint;
import dev.carousel.train.MemoryCheck;
import dev.carousel.train.RoundTiming;
import dev.carousel.train.RunSetup;
import dev.carousel.train.RunStatus;
import dev.carousel.train.TrainResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Trains one config with synchronous parameter averaging on Spark (embedded local mode by default)
 * and commits its results atomically ({@link Folders}) to {@code OUT/train-HASH/} on any Hadoop file system:
 * Parquet tables {@code runs}, {@code curves}, {@code step_stats}, a {@code checkpoint/} of the final parameters, {@code run.json} provenance, {@code summary.md} and
 * {@code report/index.html} with its figures.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train one config and write curves, per-step gradient statistics, a checkpoint and a summary.",
                "Exit code 3 if the run diverged (its results are written all the same)."})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs",
            description = "Output folder, a local path or a Hadoop URI (hdfs://, s3a://, ...); results go to "
                    + "DIR/train-<config hash>/ (default: ${DEFAULT-VALUE}).")
    String out;

    @Option(names = "--master",
            description = "Spark master to train on and write the result tables with (default: spark-submit's master, else local[*]).")
    String master;

    @Option(names = {"-q", "--quiet"}, description = "Print only the final line.")
    boolean quiet;

    @Option(names = "--resume", description = "Continue from the newest round checkpoint in DIR/checkpoints-<hash>/ "
            + "(written every distributed.checkpoint-every rounds); the result equals an uninterrupted run.")
    boolean resume;

    @Override
    public Integer call() {
        CarouselConfig cfg = config.load();
        if (cfg.data().isGenerated()) {
            MemoryCheck.require(config.file, RunSetup.of(cfg)); // a generated task's sizes are known now, before any work
        }
        Configuration hadoop = Storage.hadoopConf();
        org.apache.hadoop.fs.Path out = Storage.resolve(this.out, "--out", hadoop);
        if (Storage.probe(out, "--out", hadoop) && !Storage.isDirectory(out, hadoop)) {
            throw new IllegalArgumentException("--out " + out + " exists and is not a directory");
        }
        DataLocation data = cfg.data().isGenerated() ? null
                : new DataLocation(Storage.resolve(cfg.data().path(), "data.path", hadoop));
        if (data != null && !Storage.probe(data.uri(), "data.path", hadoop)) {
            // Checked before Spark starts; FileDataset checks again (and everything else) when it reads.
            throw new IllegalArgumentException("data.path = \"" + cfg.data().path() + "\": no such file or directory"
                    + (!data.isLocal() || Path.of(cfg.data().path()).isAbsolute() ? "" : " (relative to the working directory "
                    + Path.of("").toAbsolutePath() + ")") + "; expected a " + cfg.data().format()
                    + " file or a directory of them");
        }
        ParquetFiles.requireCodec(); // before Spark starts and training, not at the commit after it
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(out, "train-" + ConfigLoader.hash(cfg));
        org.apache.hadoop.fs.Path checkpoints = new org.apache.hadoop.fs.Path(out, "checkpoints-" + ConfigLoader.hash(cfg));
        try (SparkSession spark = SparkSessions.local(master, "carousel-train " + ConfigLoader.hash(cfg))) {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            // A file dataset is read and validated completely before anything is written or trained.
            FileDataset dataset = data == null ? null : openDataset(spark, cfg, data);
            RunSetup setup = dataset == null ? RunSetup.of(cfg) : RunSetup.of(cfg, dataset.fileData());
            if (dataset != null) {
                MemoryCheck.require(config.file, setup); // the data's T, I and O set the sizes too
            }
            // Cut the shards now too: a dataset too small for the partitions is bad input, to be reported
            // before anything is printed or any stale staging folder in --out is cleaned up.
            JavaRDD<Shard> shards = dataset == null ? null : shards(cfg, dataset, setup.dataSeed());
            LossKind loss = dataset == null ? setup.task().supervision().kind() : dataset.supervision().kind();
            String metric = loss == LossKind.MSE ? "mse" : "accuracy";
            if (!quiet) {
                System.out.printf(Locale.ROOT, "carousel train: %s%n  %d parameters, %d partitions, results -> %s%n",
                        setup.describe(), setup.spec().layout().count(), cfg.distributed().partitions(), target);
            }
            Progress progress = new Progress(quiet, metric, cfg.distributed().localSteps());
            if (Folders.isLocal(out) && Files.isDirectory(Folders.local(out))) {
                AtomicDirectory.cleanStale(Folders.local(out));
            }
            DistributedTrainer trainer = new DistributedTrainer(sc, setup,
                    new DistributedTrainer.Options(checkpoints, resume));
            TrainResult result = dataset == null ? trainer.run(progress) : trainer.run(shards, progress);
            commit(spark, hadoop, setup, result, target, metric);
            Folders.discard(checkpoints, hadoop); // the run is committed: nothing left to resume
            CurvePoint last = result.last();
            System.out.printf(Locale.ROOT, "%s after %d updates in %.1f s: validation loss %.4f, %s %.4f -> %s%n",
                    result.status().name().toLowerCase(), result.updates(), result.wallSeconds(), last.validationLoss(),
                    metric, last.validationMetric(), new org.apache.hadoop.fs.Path(target, "summary.md"));
            if (!result.roundTimings().isEmpty()) {
                System.out.println(roundsLine(result.roundTimings(),
                        RoundPlan.roundsBackToBack(result.config().distributed())));
            }
            // A scheduler must tell a diverged run from a finished one; its tables are committed all the same.
            return result.status() == RunStatus.DIVERGED ? Main.DIVERGED : 0;
        }
    }

    /**
     * "rounds: 2 of up to 10 local steps, median 0.31 s, 12.5% of it outside local compute (...)": how much of a
     * Spark job Spark's scheduling, shipping and aggregation take, and what to raise when that is large. When
     * {@code roundsBackToBack} (one partition, state averaged) a job runs all the rounds up to the next evaluation or
     * checkpoint, so there it is eval-every.
     */
    static String roundsLine(List<RoundTiming> timings, boolean roundsBackToBack) {
        double[] wall = timings.stream().mapToDouble(t -> t.wallNanos() / 1e9).sorted().toArray();
        double[] outside = timings.stream().mapToDouble(RoundTiming::outsideComputeShare).sorted().toArray();
        int steps = timings.stream().mapToInt(RoundTiming::steps).max().orElseThrow();
        return String.format(Locale.ROOT, "%s: %d of up to %d local steps, median %.2f s, %.1f%% of it outside local "
                        + "compute (%s; raise %s if this is large)",
                roundsBackToBack ? "jobs" : "rounds", timings.size(), steps, wall[wall.length / 2],
                100 * outside[outside.length / 2],
                roundsBackToBack ? "scheduling, shipping θ; one partition runs the rounds between evaluations as one job"
                        : "broadcast, scheduling, aggregation",
                roundsBackToBack ? "training.eval-every" : "distributed.local-steps");
    }

    private static FileDataset openDataset(SparkSession spark, CarouselConfig cfg, DataLocation data) {
        CarouselConfig.Data d = cfg.data();
        // Text windows need T from the config; Parquet and CSV carry their own length.
        int length = "text".equals(d.format()) ? cfg.task().length() : 0;
        return FileDataset.open(spark, d.format(), data, length, d.validationFraction(), 0, cfg.model().precision());
    }

    /** One shard per partition; more partitions than training sequences would leave some empty. */
    private static JavaRDD<Shard> shards(CarouselConfig cfg, FileDataset ds, long seed) {
        int partitions = cfg.distributed().partitions();
        if (partitions > ds.trainingSize()) {
            throw new IllegalArgumentException("distributed.partitions = " + partitions + ": more than the "
                    + ds.trainingSize() + " training sequences of " + ds.path() + " (" + ds.size() + " sequences, "
                    + ds.validationSize() + " held out by data.validation-fraction = " + cfg.data().validationFraction()
                    + "); expected an integer in [1, " + ds.trainingSize() + "]");
        }
        return ds.shards(partitions, seed);
    }

    /** Writes the tables, checkpoint, provenance and summary into {@code target} in one atomic commit. */
    private static void commit(SparkSession spark, Configuration hadoop, RunSetup setup, TrainResult result,
                               org.apache.hadoop.fs.Path target, String metric) {
        CarouselConfig cfg = setup.config();
        Folders.write(target, hadoop, s -> {
            String cell = ConfigLoader.hash(cfg);
            // Delta tables, as a sweep's: one file each, committed as the log's first version.
            writeTable(List.of(ResultTables.runRow(result, metric, null)), ResultTables.RUNS, s.resolve("runs"));
            writeTable(ResultTables.curveRows(cell, result.curve()), ResultTables.CURVES, s.resolve("curves"));
            writeTable(ResultTables.stepStatRows(cell, result.stepStats()), ResultTables.STEP_STATS,
                    s.resolve("step_stats"));
            new Checkpoint(cfg, result.parameters(), result.optimizerState(), result.updates())
                    .write(s.resolve("checkpoint"), setup.spec().layout());
            Files.writeString(s.resolve("summary.md"), RunSummary.markdown(setup, result, metric), StandardCharsets.UTF_8);
            // The HTML report with figures, from the tables just written, committed with them.
            SweepReport.write(s, s.resolve("report"), "train " + ConfigLoader.hash(cfg));
            Map<String, Object> run = Provenance.of(cfg, spark.version());
            run.put("spark_master", spark.sparkContext().master());
            run.put("status", result.status().name().toLowerCase());
            run.put("updates", result.updates());
            Json.write(s.resolve("run.json"), run);
        });
    }

    private static void writeTable(List<org.apache.spark.sql.Row> rows, org.apache.spark.sql.types.StructType schema,
                                   java.nio.file.Path dir) {
        ParquetFiles.write(rows, schema, dir);
        Table.commitAsDelta(dir, schema);
    }

    /** One line per evaluation: progress, losses, speed and ETA. */
    static final class Progress implements dev.carousel.train.TrainingListener {
        private final boolean quiet;
        private final String metric;
        private final int localSteps;
        private final long start = System.nanoTime();

        Progress(boolean quiet, String metric, int localSteps) {
            this.quiet = quiet;
            this.metric = metric;
            this.localSteps = localSteps;
        }

        @Override
        public boolean onEvaluation(CurvePoint p, long total) {
            if (quiet) {
                return true;
            }
            double secs = (System.nanoTime() - start) / 1e9;
            double rate = p.update() / Math.max(secs, 1e-9);
            String eta = p.update() == 0 ? "?" : duration((total - p.update()) / rate);
            long rounds = (total + localSteps - 1) / localSteps;
            long round = (p.update() + localSteps - 1) / localSteps;
            System.out.printf(Locale.ROOT, "[round %d/%d, update %7d/%d] train %-9s val %.4f %s %.4f |g| %-9s "
                            + "%.2f rounds/s  ETA %s%n", round, rounds, p.update(), total, Double.isNaN(p.trainLoss()) ? "-" : String.format(Locale.ROOT, "%.4f", p.trainLoss()),
                    p.validationLoss(), metric, p.validationMetric(),
                    Double.isNaN(p.gradNorm()) ? "-" : String.format(Locale.ROOT, "%.3g", p.gradNorm()), rate / localSteps, eta);
            return true;
        }

        static String duration(double seconds) {
            long s = Math.round(seconds);
            return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                    : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
    }
}
