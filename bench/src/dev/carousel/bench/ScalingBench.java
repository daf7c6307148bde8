package dev.carousel.bench;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.scaling.RoundPayloads;
import dev.carousel.scaling.ScalingModel;
import dev.carousel.spark.Jobs;
import dev.carousel.train.RoundTiming;
import dev.carousel.train.RunSetup;
import dev.carousel.train.TrainResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Checks {@link ScalingModel} against rounds measured on one master (issue 20, item 3). It calibrates the model on
 * one run and predicts another:
 * <ul>
 *   <li>calibration: the cell on one partition, R rounds back to back in one job. Its round timing gives the
 *       compute per round; Spark's task metrics ({@link RoundBreakdown}) the task's own overhead (deserialisation,
 *       run time outside the steps, result serialisation) and the result's size; the rest of the job's wall time is
 *       the driver's;
 *   <li>the driver's cost per task: empty jobs through {@link Jobs#run} on 1 and on 32 partitions, the difference
 *       of their medians per extra task;
 *   <li>a result's cost per byte where it is merged: Java serialisation out and in, and the sums, in this JVM.
 * </ul>
 * The prediction is for what the master runs next: on one slot, one partition with 2R rounds in one job; on two,
 * two partitions with one job per round. It prints, per shape, the predicted and the measured time (median over
 * rounds, or over 3 trainings of one job) and the error. The network is {@link ScalingModel.Network#LOCAL}: on one
 * host the copies are the merge cost's.
 *
 * <pre>ScalingBench MASTER REPEAT      (-Dbench.slots=N for a spark:// master)</pre>
 */
public final class ScalingBench {
    /** Partitions of the many-task empty job whose time, against one task's, gives the driver's cost per task. */
    static final int TASKS = 32;

    private ScalingBench() {}

    public static void main(String[] args) throws Exception {
        String master = args[0];
        int repeat = Integer.parseInt(args[1]);
        int slots = SparkBench.slots(master);
        SparkSession spark = SparkBench.session(master);
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            SparkBench.awaitExecutors(sc, master);
            SparkBench.warmUp(sc, master);
            RoundBreakdown metrics = new RoundBreakdown();
            sc.sc().addSparkListener(metrics);
            boolean quick = SparkBench.QUICK;
            // The default sweep's cell, and a model whose payloads are megabytes.
            shape(sc, master, repeat, slots, metrics, "small", 32, quick ? 10 : 50, quick ? 3 : 8);
            shape(sc, master, repeat, slots, metrics, "large", 256, quick ? 2 : 5, quick ? 3 : 6);
        } finally {
            spark.stop();
        }
    }

    private static void shape(JavaSparkContext sc, String master, int repeat, int slots, RoundBreakdown metrics,
                              String name, int hidden, int k, int rounds) {
        // Calibration: one partition, its rounds back to back in one job, three times after an untimed one (the
        // median of each part). From Spark's
        // task metrics and the round timing: compute per round, the task's own overhead (deserialisation, run
        // time outside the steps, result serialisation), and the driver's rest of the job.
        calibrate(sc, metrics, config(hidden, k, rounds, 1)); // untimed: builds and warms this shape's network
        List<Calibration> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            runs.add(calibrate(sc, metrics, config(hidden, k, rounds, 1)));
        }
        Calibration cal = new Calibration(median(runs, Calibration::computePerRound),
                median(runs, Calibration::taskOverhead), median(runs, Calibration::driverSeconds),
                runs.get(0).resultBytes());
        CarouselConfig target = config(hidden, k, slots == 1 ? 2 * rounds : rounds, slots);
        RunSetup setup = RunSetup.of(target);
        double[] jobs = emptyJobs(sc, TASKS, 40);
        double task = Math.max(0, (jobs[1] - jobs[0]) / (TASKS - 1));
        double merge = mergeSecondsPerByte(cal.resultBytes);
        // The calibration job's driver time holds the scheduling of one job of one task and one result's intake.
        double job = Math.max(0, cal.driverSeconds - task - cal.resultBytes * merge);
        ScalingModel model = new ScalingModel(new ScalingModel.Round(cal.computePerRound, slots == 1 ? 2 * rounds : 1,
                cal.taskOverhead, RoundPayloads.inputBytes(setup), cal.resultBytes, merge),
                new ScalingModel.Driver(job, task, 0), ScalingModel.Network.LOCAL, target.distributed().aggregationDepth());
        ScalingModel.Breakdown p = model.at(slots);

        // Measured: one partition runs the doubled rounds back to back in one job (median over 3 trainings); more
        // partitions run one job per round (median over rounds after the first, which also scores θ).
        List<RoundTiming> measuredJobs = new ArrayList<>();
        for (int i = 0; i < (slots == 1 ? 3 : 1); i++) {
            List<RoundTiming> ts = SparkBench.train(sc, target).roundTimings();
            measuredJobs.addAll(ts.subList(slots == 1 ? 0 : 1, ts.size()));
        }
        double measured = median(measuredJobs, t -> t.wallNanos() / 1e9);
        // The measured jobs' own compute per round, to tell a model error from the compute drifting between runs.
        double measuredCompute = median(measuredJobs, t -> t.computeWallMax() / 1e9 / (t.steps() / k));
        System.out.printf(Locale.ROOT, "repeat=%d engine=spark figure=model master=%s shape=%s H=%d K=%d partitions=%d "
                        + "rounds_per_job=%d compute_ms=%.3f task_overhead_ms=%.3f job_ms=%.3f task_ms=%.3f "
                        + "driver_cpu_per_task_ms=%.3f merge_ns_per_kb=%.1f input_bytes=%d result_bytes=%d "
                        + "result_bytes_estimated=%d predicted_ms=%.3f predicted_scheduling_ms=%.3f "
                        + "predicted_compute_ms=%.3f predicted_aggregation_ms=%.3f measured_ms=%.3f "
                        + "measured_compute_ms=%.3f jobs=%d error=%.4f%n",
                repeat, master, name, hidden, k, slots, slots == 1 ? 2 * rounds : 1, cal.computePerRound * 1e3,
                cal.taskOverhead * 1e3, job * 1e3, task * 1e3, jobs[2] * 1e3, merge * 1e12,
                RoundPayloads.inputBytes(setup), cal.resultBytes, RoundPayloads.resultBytes(setup, k), p.total() * 1e3, p.scheduling() * 1e3,
                p.compute() * 1e3, p.aggregation() * 1e3, measured * 1e3, measuredCompute * 1e3, measuredJobs.size(),
                p.total() / measured - 1);
        System.out.flush();
    }

    /** What one calibration job showed; seconds and bytes. */
    record Calibration(double computePerRound, double taskOverhead, double driverSeconds, long resultBytes) {}

    /** Trains {@code c} (one partition, all rounds in one job) and reads its job's timing and task metrics. */
    static Calibration calibrate(JavaSparkContext sc, RoundBreakdown metrics, CarouselConfig c) {
        TrainResult r = SparkBench.train(sc, c);
        try {
            Thread.sleep(500); // the listener bus delivers the job's events after the job returns
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RoundTiming t = r.roundTimings().get(0);
        int k = c.distributed().localSteps();
        RoundBreakdown.Job j = metrics.job(t.steps() > k ? "rounds at updates " + t.firstUpdate() + "-"
                + (t.firstUpdate() + t.steps() - 1) : "round at update " + t.firstUpdate());
        if (j == null || r.roundTimings().size() != 1) {
            throw new IllegalStateException("calibration: expected one job with task metrics, got "
                    + r.roundTimings().size() + " jobs");
        }
        double compute = t.computeWallMax() / 1e9;
        double taskMs = j.deserialize + j.run + j.resultSerialize;
        double taskOverhead = Math.max(0, taskMs / 1e3 - compute);
        double driver = Math.max(0, t.wallNanos() / 1e9 - taskMs / 1e3);
        return new Calibration(compute / (t.steps() / k), taskOverhead, driver, j.resultBytes);
    }

    /** A data-parallel cell on {@code partitions}: no probes, one evaluation at the end, small validation set. */
    static CarouselConfig config(int hidden, int k, int rounds, int partitions) {
        return ConfigLoader.parse(String.format(Locale.ROOT, """
                task { name = adding, length = 100, validation-sequences = 32 }
                model { hidden = %d }
                optimizer { name = adam, learning-rate = 0.001 }
                training { batch-size = %d, updates = %d, eval-every = %d }
                probes { enabled = false }
                distributed { partitions = %d, local-steps = %d }
                """, hidden, SparkBench.B, (long) k * rounds, (long) k * rounds, partitions, k), "ScalingBench");
    }

    /**
     * Empty jobs through {@link Jobs#run} on 1 partition and on {@code partitions}, alternating, {@code n} of each
     * after n/2 untimed: {median wall of one, median wall of all, this JVM's CPU seconds per task of the
     * many-task jobs beyond the one-task ones}. With executors in JVMs of their own the last is the driver's own
     * serial work per task, which the wall time's slope on a 2-core host cannot tell from the executors'.
     */
    static double[] emptyJobs(JavaSparkContext sc, int partitions, int n) {
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        JavaRDD<Integer> one = sc.parallelize(List.of(0), 1);
        List<Integer> elements = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            elements.add(p);
        }
        JavaRDD<Integer> all = sc.parallelize(elements, partitions);
        double[] a = new double[n];
        double[] b = new double[n];
        double[] cpu = new double[n];
        for (int i = -n / 2; i < n; i++) { // the first n/2 untimed
            long c0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            Jobs.run(sc, "empty job", one, x -> x, (p, r) -> { });
            long t1 = System.nanoTime();
            long c1 = os.getProcessCpuTime();
            Jobs.run(sc, "empty job", all, x -> x, (p, r) -> { });
            long t2 = System.nanoTime();
            long c2 = os.getProcessCpuTime();
            if (i >= 0) {
                a[i] = (t1 - t0) / 1e9;
                b[i] = (t2 - t1) / 1e9;
                cpu[i] = ((c2 - c1) - (c1 - c0)) / 1e9 / (partitions - 1);
            }
        }
        return new double[] {median(a), median(b), median(cpu)};
    }

    /**
     * Seconds per byte of taking in a result of {@code bytes}: Java-serialised, read back and added into running
     * sums (what a partition result costs where it is merged), median of 15 after 5 untimed.
     */
    static double mergeSecondsPerByte(long bytes) {
        double[] payload = new double[(int) Math.max(1, bytes / 8)];
        Arrays.fill(payload, 0.5);
        double[] sums = new double[payload.length];
        double[] t = new double[15];
        for (int i = -5; i < t.length; i++) {
            long t0 = System.nanoTime();
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length * 8 + 64);
                try (ObjectOutputStream o = new ObjectOutputStream(out)) {
                    o.writeObject(payload);
                }
                double[] back;
                try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(out.toByteArray()))) {
                    back = (double[]) in.readObject();
                }
                for (int j = 0; j < sums.length; j++) {
                    sums[j] += back[j];
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            if (i >= 0) {
                t[i] = (System.nanoTime() - t0) / 1e9 / (payload.length * 8.0);
            }
        }
        return median(t);
    }

    static <T> double median(List<T> runs, java.util.function.ToDoubleFunction<T> part) {
        return median(runs.stream().mapToDouble(part).toArray());
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
