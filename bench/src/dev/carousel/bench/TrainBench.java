package dev.carousel.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.spark.DistributedTrainer;
import dev.carousel.train.LocalTrainer;
import dev.carousel.train.RunSetup;
import dev.carousel.train.TrainResult;
import dev.carousel.train.TrainingListener;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Cost per update of Carousel's own training paths on the adding task (I = 2), every key at its default but the
 * shape: batch generation, forward, BPTT, Adam, validation on 1,000 sequences every 100 updates and the default
 * probe set every 100 updates with its statistics, i.e. everything a run does per update. Two paths:
 * {@code local} is {@link LocalTrainer} (what a sweep cell runs in its task), {@code spark} is
 * {@link DistributedTrainer} on local[1] (what {@code carousel train} runs: rounds of 100 updates as Spark jobs).
 * Each process first trains an untimed run of {@code warm} updates (JIT, ND4J), then times one run of
 * {@code updates}; it prints its wall time and process CPU time per update as EngineBench lines
 * ({@code median_step_ms}, {@code median_cpu_ms}), and the same run with validation every {@code updates}
 * (once, at the end) as {@code engine=carousel-train-noeval}.
 *
 * <pre>
 * usage: TrainBench local|spark B T H [updates [warm]]     (defaults 400 and 300)
 * </pre>
 */
public final class TrainBench {
    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        String path = args[0];
        int b = Integer.parseInt(args[1]);
        int t = Integer.parseInt(args[2]);
        int h = Integer.parseInt(args[3]);
        int updates = args.length > 4 ? Integer.parseInt(args[4]) : 400;
        int warm = args.length > 5 ? Integer.parseInt(args[5]) : 300;
        Function<CarouselConfig, TrainResult> runner;
        SparkSession spark = null;
        switch (path) {
            case "local" -> runner = c -> LocalTrainer.train(c, TrainingListener.NONE);
            case "spark" -> {
                spark = SparkBench.session("local[1]");
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                runner = c -> SparkBench.train(sc, c);
            }
            default -> throw new IllegalArgumentException("path must be local|spark, got " + path);
        }
        try {
            runner.apply(config(b, t, h, warm, 100, 7));
            for (int evalEvery : new int[] {100, updates}) {
                OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                TrainResult r = runner.apply(config(b, t, h, updates, evalEvery, 1));
                double wall = (System.nanoTime() - t0) / 1e9;
                double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                if (r.updates() != updates) {
                    throw new IllegalStateException("trained " + r.updates() + " updates, expected " + updates);
                }
                String engine = "carousel-train-" + path + (evalEvery == 100 ? "" : "-noeval");
                System.out.println(EngineBench.line(engine, b, t, 2, h, wall / updates)
                        + EngineBench.cpu(cpu / updates) + " updates=" + updates);
            }
        } finally {
            if (spark != null) {
                spark.stop();
            }
        }
    }

    /** The adding task at length T, H units, B sequences per update; every other key at its default. */
    static CarouselConfig config(int b, int t, int h, int updates, int evalEvery, long seed) {
        return ConfigLoader.parse(String.format(Locale.ROOT, """
                seed = %d
                task { name = adding, length = %d }
                model.hidden = %d
                training { batch-size = %d, updates = %d, eval-every = %d }
                """, seed, t, h, b, updates, evalEvery), "TrainBench");
    }
}
