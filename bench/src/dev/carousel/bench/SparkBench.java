package dev.carousel.bench;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.spark.DistributedTrainer;
import dev.carousel.store.Storage;
import dev.carousel.sweep.Strategy;
import dev.carousel.sweep.SweepRunner;
import dev.carousel.sweep.SweepStore;
import dev.carousel.sweep.SweepSpec;
import dev.carousel.train.LocalTrainer;
import dev.carousel.train.RoundTiming;
import dev.carousel.train.RunSetup;
import dev.carousel.train.TrainResult;
import dev.carousel.train.TrainingListener;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * Spark-level benchmark (issue 5, item 4): where a round of synchronous parameter averaging spends its time, how
 * training scales from one task slot or executor to two, how many cells of the default sweep an hour each strategy
 * gets through, and how round time grows with T and with the number of cells running at once. One line of
 * key=value pairs per measurement; bench/spark.sh runs the modes and bench/summarize_spark.py makes the tables.
 *
 * <p>The cell shape is the default sweep's (conf/sweeps/forget-gate.conf): adding problem, LSTM H = 32, batch 32,
 * Adam 0.003, probes and evaluation every 100 updates, 500 validation sequences, {@code local-steps} K = 50. A
 * round's time comes from {@link TrainResult#roundTimings()}: the driver's wall time of the Spark job (shipping θ,
 * scheduling, the tasks, the merge, unpacking) and the slowest partition's time in its training steps; "outside"
 * is 1 − slowest compute / round. With one partition a "round" is the job that runs the rounds between two
 * evaluations back to back (100 updates).
 *
 * <pre>
 * modes (every mode: MASTER REPEAT; -Dbench.quick=true for a smoke run with far fewer steps):
 *   rounds  MASTER R   outside-compute share (small and large model), round time against T and against the
 *                      number of data-parallel cells running at once
 *   scaling MASTER R   data-parallel (2 partitions) and config-parallel (2 cells) throughput on MASTER; run it on
 *                      a 1-slot and a 2-slot master, side by side, for the ratio
 *   sweep   MASTER R   cells per hour of a subset of the default sweep under config-parallel, data-parallel
 *                      (partitions 1, as the spec) and data-parallel with partitions = 2, alternating; needs
 *                      -Dbench.spec=conf/sweeps/forget-gate.conf
 * On local-cluster, -Dbench.executorJavaOptions="..." is added to the executors' JVM options (a JFR recording,
 * say), after the --add-opens they inherit from this JVM.
 *   fullsweep MASTER R the whole default sweep (60 cells of 400 updates, strategy auto, as README's main command
 *                      runs it) after a small warm-up sweep, twice in the same JVMs (pass 0 with HotSpot still
 *                      compiling, pass 1 warm): wall time and cells per hour; run it on a 1-slot and a 2-slot
 *                      master for the scaling of the real workload
 *   share, overhead    the rounds mode's outside-compute share of the default cell, and rounds of one local step
 *   breakdown MASTER R where the default cell's outside time goes, from Spark's task metrics (RoundBreakdown)
 * </pre>
 */
public final class SparkBench {
    static final boolean QUICK = Boolean.getBoolean("bench.quick");
    static final int B = 32;
    /** K of the default sweep. */
    static final int K = QUICK ? 10 : 50;

    private SparkBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: SparkBench rounds|share|scaling|sweep MASTER REPEAT");
            System.exit(2);
        }
        String mode = args[0];
        String master = args[1];
        int repeat = Integer.parseInt(args[2]);
        SparkSession spark = session(master);
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            awaitExecutors(sc, master);
            switch (mode) {
                case "rounds" -> rounds(sc, master, repeat);
                case "scaling" -> scaling(sc, master, repeat);
                case "overhead" -> {
                    warmUp(sc, master);
                    overhead(sc, master, repeat);
                }
                case "share" -> {
                    warmUp(sc, master);
                    share(sc, master, repeat, "small", 32, 100, 2, 8);
                    share(sc, master, repeat, "small", 32, 100, 1, 8);
                }
                case "sweep" -> sweeps(spark, master, repeat);
                case "fullsweep" -> fullSweep(spark, master, repeat);
                case "breakdown" -> {
                    warmUp(sc, master);
                    breakdown(sc, master, repeat);
                }
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            }
        } finally {
            spark.stop();
        }
    }

    // ---------------------------------------------------------------- rounds

    static void rounds(JavaSparkContext sc, String master, int repeat) throws Exception {
        warmUp(sc, master);
        int rounds = QUICK ? 2 : 8; // 8 rounds of 50 = the default sweep's 400 updates
        // (a) outside-compute share: the default sweep's cell at T = 100, 2 partitions and 1, and a larger model.
        share(sc, master, repeat, "small", 32, 100, 2, rounds);
        share(sc, master, repeat, "small", 32, 100, 1, rounds);
        share(sc, master, repeat, "large", QUICK ? 128 : 256, 100, 2, QUICK ? 2 : 4);
        overhead(sc, master, repeat);
        // (d) round time against T: one untimed round (the network is built) and 3 timed ones per T.
        for (int t : QUICK ? new int[] {25, 50} : new int[] {25, 50, 100, 200}) {
            CarouselConfig c = cell(32, t, 2, (long) K * (QUICK ? 2 : 4), 1);
            printRounds("length", "", repeat, master, 1, c, train(sc, c));
        }
        // (d) round time against the number of data-parallel cells running at once (partitions 1, as the default
        // sweep's cells; each cell from its own driver thread in its own FAIR pool, as SweepRunner runs them).
        for (int cells : QUICK ? new int[] {1, 2} : new int[] {1, 2, 4}) {
            concurrent(sc, master, repeat, cells, QUICK ? 2 : 4);
        }
    }

    /**
     * Rounds of one local step on the default cell with 2 partitions (with one, the rounds between evaluations run
     * as one job and there is no per-round cost to measure): a round's time is then nearly all outside local compute,
     * so its median is the per-round overhead itself.
     */
    static void overhead(JavaSparkContext sc, String master, int repeat) {
        CarouselConfig c = ConfigLoader.parse(String.format(Locale.ROOT, """
                task { name = adding, length = 100, validation-sequences = 500 }
                model { hidden = 32 }
                optimizer { name = adam, learning-rate = 0.003 }
                training { batch-size = %d, updates = %d, eval-every = 100000 }
                probes { enabled = true, every = 100 }
                distributed { partitions = 2, local-steps = 1 }
                """, B, QUICK ? 50 : 400), "SparkBench overhead");
        printRounds("overhead", "", repeat, master, 1, c, train(sc, c));
    }

    static void share(JavaSparkContext sc, String master, int repeat, String model, int h, int t, int partitions,
                      int rounds) {
        CarouselConfig c = cell(h, t, partitions, (long) K * rounds, 1);
        printRounds("share", "model=" + model, repeat, master, 1, c, train(sc, c));
    }

    /**
     * Where the outside time of the default cell's Spark jobs goes (1 partition, K = 50, 400 updates evaluated every
     * 100: 4 jobs of 2 rounds each), with probes every 100
     * updates and without probes, alternating twice: per round, the driver's wall time and the slowest task's
     * compute as in {@code share}, and from Spark's task metrics ({@link RoundBreakdown}) the job's span, the
     * delay to the task's launch, the task's deserialisation, run and result-serialisation times, its GC time and
     * result size. Spark's clocks have millisecond resolution.
     */
    static void breakdown(JavaSparkContext sc, String master, int repeat) {
        RoundBreakdown listener = new RoundBreakdown();
        sc.sc().addSparkListener(listener);
        for (int pass = 0; pass < 2; pass++) {
            for (boolean probes : new boolean[] {true, false}) {
                CarouselConfig c = ConfigLoader.parse(String.format(Locale.ROOT, """
                        seed = %d
                        task { name = adding, length = 100, validation-sequences = 500 }
                        model { hidden = 32 }
                        optimizer { name = adam, learning-rate = 0.003 }
                        training { batch-size = %d, updates = %d, eval-every = 100 }
                        probes { enabled = %b, every = 100 }
                        distributed { partitions = 1, local-steps = %d }
                        """, 1 + pass, B, K * 8L, probes, K), "SparkBench breakdown");
                TrainResult r = train(sc, c);
                try {
                    Thread.sleep(500); // let the listener bus deliver the last job's events
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                List<RoundTiming> ts = r.roundTimings();
                for (int i = 0; i < ts.size(); i++) {
                    RoundTiming t = ts.get(i);
                    RoundBreakdown.Job j = listener.job(t.steps() > K ? "rounds at updates " + t.firstUpdate() + "-"
                            + (t.firstUpdate() + t.steps() - 1) : "round at update " + t.firstUpdate());
                    if (j == null) {
                        continue;
                    }
                    System.out.printf(Locale.ROOT, "repeat=%d engine=spark figure=breakdown probes=%b master=%s round=%d "
                                    + "wall_ms=%.3f compute_ms=%.3f outside_ms=%.3f job_ms=%d launch_delay_ms=%d "
                                    + "deserialize_ms=%d deserialize_cpu_ms=%.3f run_ms=%d run_cpu_ms=%.3f result_ser_ms=%d "
                                    + "result_bytes=%d gc_ms=%d after_task_ms=%d%n",
                            repeat, probes, master, i, t.wallNanos() / 1e6, t.computeWallMax() / 1e6,
                            (t.wallNanos() - t.computeWallMax()) / 1e6, j.ended - j.submitted,
                            j.firstLaunch - j.submitted, j.deserialize, j.deserializeCpuNs / 1e6, j.run, j.runCpuNs / 1e6,
                            j.resultSerialize, j.resultBytes, j.gc, j.ended - j.lastFinish);
                }
            }
        }
        System.out.flush();
    }

    static void concurrent(JavaSparkContext sc, String master, int repeat, int cells, int rounds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(cells);
        try {
            List<Future<TrainResult>> results = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < cells; i++) {
                CarouselConfig c = cell(32, 100, 1, (long) K * rounds, 1 + i);
                int pool2 = i;
                results.add(pool.submit(() -> {
                    sc.setLocalProperty("spark.scheduler.pool", "bench-cell-" + pool2);
                    return train(sc, c);
                }));
            }
            long updates = 0;
            List<TrainResult> done = new ArrayList<>();
            for (Future<TrainResult> f : results) {
                done.add(f.get());
                updates += f.get().updates();
            }
            double wall = (System.nanoTime() - start) / 1e9;
            for (int i = 0; i < done.size(); i++) {
                printRounds("cells", "cells=" + cells + " cell=" + i, repeat, master, 1, done.get(i).config(), done.get(i));
            }
            System.out.printf(Locale.ROOT, "repeat=%d engine=spark figure=cells-total cells=%d master=%s updates=%d "
                    + "wall_s=%.3f seq_per_s=%.1f%n", repeat, cells, master, updates, wall, updates * B / wall);
        } finally {
            pool.shutdown();
        }
    }

    /** One line per round; rounds before {@code skip} are marked warm=1 (the first builds the network on executors). */
    static void printRounds(String figure, String extra, int repeat, String master, int skip, CarouselConfig c,
                            TrainResult r) {
        List<RoundTiming> ts = r.roundTimings();
        for (int i = 0; i < ts.size(); i++) {
            RoundTiming t = ts.get(i);
            System.out.printf(Locale.ROOT, "repeat=%d engine=spark figure=%s %s H=%d B=%d T=%d K=%d partitions=%d "
                            + "master=%s round=%d warm=%d wall_ms=%.3f compute_ms=%.3f compute_cpu_ms=%.3f "
                            + "compute_sum_ms=%.3f compute_cpu_sum_ms=%.3f outside=%.5f seq_per_s=%.1f%n",
                    repeat, figure, extra.isEmpty() ? "tag=-" : extra, c.model().hidden(), B, c.task().length(), t.steps(),
                    t.partitions(), master, i, i < skip ? 1 : 0, t.wallNanos() / 1e6, t.computeWallMax() / 1e6,
                    t.computeCpuMax() / 1e6, t.computeWallSum() / 1e6, t.computeCpuSum() / 1e6, t.outsideComputeShare(),
                    (double) t.steps() * B * t.partitions() / (t.wallNanos() / 1e9));
        }
        System.out.flush();
    }

    // ---------------------------------------------------------------- scaling

    static void scaling(JavaSparkContext sc, String master, int repeat) {
        warmUp(sc, master);
        int slots = slots(master);
        // Data-parallel: one cell, 2 partitions, 1 + 4 rounds of K (the first untimed).
        CarouselConfig dp = cell(32, 100, 2, (long) K * (QUICK ? 2 : 5), 1);
        printRounds("scaling-dp", "slots=" + slots, repeat, master, 1, dp, train(sc, dp));
        // Config-parallel: two independent cells, each whole in one task (as SweepRunner's TrainInTask).
        int updates = QUICK ? 10 : 200;
        for (int i = 0; i < (QUICK ? 1 : 2); i++) {
            long start = System.nanoTime();
            List<double[]> cells = sc.parallelize(List.of(1, 2), 2).map(seed -> localCell(seed, updates)).collect();
            double wall = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "repeat=%d engine=spark figure=scaling-cp slots=%d H=32 B=%d T=100 "
                            + "master=%s job=%d cells=2 updates=%d wall_s=%.3f cell_wall_s=%s cpu_s=%.3f seq_per_s=%.1f%n",
                    repeat, slots, B, master, i, updates, wall, cells.stream()
                            .map(w -> String.format(Locale.ROOT, "%.3f", w[0])).collect(Collectors.joining(",")),
                    cells.stream().mapToDouble(w -> w[1]).sum(), 2.0 * updates * B / wall);
        }
        System.out.flush();
    }

    /** A whole cell in this task, as config-parallel trains it; returns its wall and thread CPU seconds. */
    static double[] localCell(int seed, int updates) {
        long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        TrainResult r = LocalTrainer.train(cell(32, 100, 1, updates, seed), TrainingListener.NONE);
        return new double[] {r.wallSeconds(), (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu) / 1e9};
    }

    // ---------------------------------------------------------------- sweeps

    static void sweeps(SparkSession spark, String master, int repeat) throws IOException {
        Path spec = Path.of(System.getProperty("bench.spec", "conf/sweeps/forget-gate.conf")).toAbsolutePath();
        int updates = QUICK ? 20 : 200;
        Path root = Files.createTempDirectory("carousel-spark-bench-");
        try {
            runSweep(spark, spec, root.resolve("warm"), Strategy.CONFIG_PARALLEL, 1, 10, true); // JIT, ND4J, Parquet
            int n = 0;
            for (int r = 0; r < (QUICK ? 1 : 2); r++) {
                for (Object[] s : new Object[][] {{Strategy.CONFIG_PARALLEL, 1}, {Strategy.DATA_PARALLEL, 1},
                        {Strategy.DATA_PARALLEL, 2}}) {
                    Strategy strategy = (Strategy) s[0];
                    int partitions = (int) s[1];
                    Result res = runSweep(spark, spec, root.resolve("s" + n++), strategy, partitions, updates, false);
                    System.out.printf(Locale.ROOT, "repeat=%d engine=spark figure=sweep strategy=%s partitions=%d "
                                    + "master=%s pass=%d cells=%d updates=%d wall_s=%.3f cells_done_s=%.3f "
                                    + "cells_per_hour=%.1f cells_per_hour_with_report=%.1f%n", repeat, strategy.label(),
                            partitions, master, r, res.cells, updates, res.wall, res.cellsDone,
                            res.cells * 3600 / res.cellsDone, res.cells * 3600 / res.wall);
                    System.out.flush();
                }
            }
        } finally {
            deleteTree(root);
        }
    }

    record Result(int cells, double wall, double cellsDone) {}

    /** The whole default sweep as written (strategy auto), once, after a small untimed one. */
    static void fullSweep(SparkSession spark, String master, int repeat) throws IOException {
        Path specFile = Path.of(System.getProperty("bench.spec", "conf/sweeps/forget-gate.conf")).toAbsolutePath();
        Path root = Files.createTempDirectory("carousel-spark-bench-");
        try {
            runSweep(spark, specFile, root.resolve("warm"), Strategy.CONFIG_PARALLEL, 1, 10, true); // JIT, ND4J, Parquet
            String text = String.format(Locale.ROOT, "include file(\"%s\")\n",
                    specFile.toString().replace("\\", "\\\\").replace("\"", "\\\""));
            // Pass 0 in JVMs that have run 80 updates (as README's command meets them: HotSpot still compiling);
            // pass 1 in the same JVMs after a whole sweep (a long sweep's later cells, or a long-lived cluster).
            for (int pass = 0; pass < 2; pass++) {
                Result res = runSpec(spark, SweepSpec.parse(text, "default sweep"), text, root.resolve("full" + pass),
                        Strategy.AUTO);
                System.out.printf(Locale.ROOT, "repeat=%d engine=spark figure=fullsweep master=%s slots=%d pass=%d "
                                + "cells=%d wall_s=%.3f cells_done_s=%.3f cells_per_hour=%.1f "
                                + "cells_per_hour_with_report=%.1f%n", repeat, master, slots(master), pass, res.cells,
                        res.wall, res.cellsDone, res.cells * 3600 / res.cellsDone, res.cells * 3600 / res.wall);
                System.out.flush();
            }
        } finally {
            deleteTree(root);
        }
    }

    /**
     * A subset of the default sweep: its base and T axis, forget-gate modes learned (bias 1), chrono and none, the
     * two tanh-RNN cells, seed 1 (8 cells), with {@code updates} updates per cell.
     */
    static Result runSweep(SparkSession spark, Path specFile, Path out, Strategy strategy, int partitions, int updates,
                           boolean warm) {
        String text = String.format(Locale.ROOT, """
                include file("%s")
                name = spark-bench
                grid { "model.forget-gate.mode" = [learned, chrono, none], "model.forget-gate.bias" = [1] }
                seeds = [1]
                base.training.updates = %d
                base.distributed.partitions = %d
                """, specFile.toString().replace("\\", "\\\\").replace("\"", "\\\""), updates, partitions);
        if (warm) {
            text += "grid.\"task.length\" = [50]\n";
        }
        return runSpec(spark, SweepSpec.parse(text, "spark-bench"), text, out, strategy);
    }

    /** Runs {@code spec} into {@code out}; its wall time and the time until its last cell committed. */
    static Result runSpec(SparkSession spark, SweepSpec spec, String text, Path out, Strategy strategy) {
        CellClock clock = new CellClock();
        long start = System.nanoTime();
        SweepRunner.Summary s = new SweepRunner(spark, spec,
                new SweepRunner.Options(Storage.local(out), new Configuration(), strategy, false, Map.of(), text, clock,
                        SweepStore.COMMIT_SECONDS)).run();
        double wall = (System.nanoTime() - start) / 1e9;
        if (s.failed() > 0 || s.ran() != spec.cells().size()) {
            throw new IllegalStateException("bench sweep: " + s);
        }
        return new Result(spec.cells().size(), wall, (clock.lastCell - start) / 1e9);
    }

    /** The sweep's log, to stderr, noting when the last per-cell line came (the last cell committed). */
    static final class CellClock extends PrintStream {
        volatile long lastCell;

        CellClock() {
            super(System.err, true);
        }

        @Override
        public void println(String line) {
            if (line.startsWith("[cells ") && !line.contains("| running:")) {
                lastCell = System.nanoTime();
            }
            super.println(line);
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The default sweep's cell (conf/sweeps/forget-gate.conf base: LSTM, forget gate learned bias 1, evaluated every
     * 100 updates) at H, T. With one partition the rounds between evaluations run as one Spark job, so a "round" in
     * the printed lines is then 100 updates.
     */
    static CarouselConfig cell(int hidden, int length, int partitions, long updates, long seed) {
        String hocon = String.format(Locale.ROOT, """
                seed = %d
                task { name = adding, length = %d, validation-sequences = 500 }
                model { hidden = %d }
                optimizer { name = adam, learning-rate = 0.003 }
                training { batch-size = %d, updates = %d, eval-every = %d }
                probes { enabled = true, every = 100 }
                distributed { partitions = %d, local-steps = %d }
                """, seed, length, hidden, B, updates, Math.min(100, updates), partitions, K);
        return ConfigLoader.parse(hocon, "SparkBench");
    }

    static TrainResult train(JavaSparkContext sc, CarouselConfig c) {
        return new DistributedTrainer(sc, RunSetup.of(c), DistributedTrainer.Options.NONE).run(TrainingListener.NONE);
    }

    /**
     * Loads ND4J and compiles the hot paths on the driver and on every executor thread, untimed: a tiny run, then
     * {@code bench.warmRounds} rounds (default 40; 4 in quick mode) of the default cell on every slot. HotSpot's C2
     * keeps compiling the engine, the optimiser's ND4J calls and Spark's scheduling paths for the first ~2,000
     * updates of a JVM (ThreadBench: 4.7 s of compiler time in the 2,000 updates after a 300-update warm-up, 0.5 s
     * after a 3,000-update one), so a shorter warm-up measures the compiler competing for the second core.
     */
    static void warmUp(JavaSparkContext sc, String master) {
        int slots = slots(master);
        CarouselConfig c = ConfigLoader.parse(String.format(Locale.ROOT, """
                task { name = adding, length = 20, validation-sequences = 64 }
                model.hidden = 16
                training { batch-size = 8, updates = 40, eval-every = 40 }
                distributed { partitions = %d, local-steps = 10 }
                """, slots), "SparkBench warm-up");
        train(sc, c);
        int rounds = Integer.getInteger("bench.warmRounds", QUICK ? 4 : 40);
        if (rounds > 0) {
            train(sc, cell(32, 100, slots, (long) K * rounds, 99));
        }
    }

    static SparkSession session(String master) {
        SparkConf conf = new SparkConf().setMaster(master).setAppName("carousel-spark-bench")
                .set("spark.ui.enabled", "false")
                .set("spark.scheduler.mode", "FAIR")
                .set("spark.sql.shuffle.partitions", "4")
                .set("spark.sql.session.timeZone", "UTC")
                .set("spark.executorEnv.OMP_NUM_THREADS", "1")
                .set("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
        if (master.startsWith("local-cluster") || master.startsWith("spark://")) {
            String jar = System.getProperty("bench.appJar");
            if (jar == null) {
                throw new IllegalArgumentException(master + " needs -Dbench.appJar (bench/spark.sh makes it)");
            }
            conf.set("spark.jars", jar)
                    .set("spark.executor.memory", "2g")
                    .set("spark.executor.extraJavaOptions", ManagementFactory.getRuntimeMXBean().getInputArguments()
                            .stream().filter(a -> a.startsWith("--add-opens")).collect(Collectors.joining(" "))
                            + " " + System.getProperty("bench.executorJavaOptions", ""));
        }
        SparkSession s = SparkSession.builder().config(conf).getOrCreate();
        s.sparkContext().setLogLevel("WARN");
        return s;
    }

    /**
     * Task slots of local[N] or local-cluster[N,C,M] (Spark's defaultParallelism is at least 2 on a cluster), or
     * {@code -Dbench.slots} for a standalone master (spark://), one slot per worker's core.
     */
    static int slots(String master) {
        if (master.startsWith("spark://")) {
            return Integer.getInteger("bench.slots", 2);
        }
        Matcher cluster = Pattern.compile("local-cluster\\[(\\d+),\\s*(\\d+),").matcher(master);
        if (cluster.find()) {
            return Integer.parseInt(cluster.group(1)) * Integer.parseInt(cluster.group(2));
        }
        Matcher local = Pattern.compile("local\\[(\\d+)]").matcher(master);
        if (local.find()) {
            return Integer.parseInt(local.group(1));
        }
        throw new IllegalArgumentException("master " + master + ": expected local[N] or local-cluster[N,C,M]");
    }

    /**
     * On local-cluster[N,C,M], waits until the N executor JVMs have registered; on a standalone master, until
     * {@code -Dbench.slots} have (one core each).
     */
    static void awaitExecutors(JavaSparkContext sc, String master) throws InterruptedException {
        Matcher m = Pattern.compile("local-cluster\\[(\\d+),").matcher(master);
        int n;
        if (m.find()) {
            n = Integer.parseInt(m.group(1));
        } else if (master.startsWith("spark://")) {
            n = slots(master);
        } else {
            return;
        }
        long deadline = System.currentTimeMillis() + 120_000;
        while (sc.sc().statusTracker().getExecutorInfos().length < n + 1) { // the driver is listed too
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("executors did not register within 120 s");
            }
            Thread.sleep(100);
        }
    }

    static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
