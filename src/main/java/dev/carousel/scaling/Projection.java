package dev.carousel.scaling;

import dev.carousel.train.RunSetup;
import java.io.PrintStream;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The projection {@code carousel validate --executors N} prints: a config's round on 1, 2, 4, … 256 executors and
 * on N, from {@link ScalingModel} with the compute timed on this machine, the payloads from the model's size, the
 * driver's and the task's costs as measured on a standalone master ({@code bench/spark.sh model},
 * BENCHMARKS.md "Scaling model") and the network given.
 */
public final class Projection {
    /*
     * Costs measured by bench/spark.sh model on a standalone master with two one-core workers on the 2-core test
     * machine (BENCHMARKS.md "Scaling model"; medians of 3 repeats), a line through the default sweep's cell
     * (payloads 0.18 MB) and H = 256 (9.6 MB):
     */
    /** The driver's fixed cost per job: submission, scheduling, the job's end. */
    static final double JOB_SECONDS = 0.019;
    /** The driver's work per byte of round input and result: the input's broadcast, unpacking the sums. */
    static final double DRIVER_SECONDS_PER_BYTE = 5.7e-9;
    /** The driver JVM's CPU per task: empty jobs of 32 tasks against 1 (1.8–2.9 ms; wall time 2.5–4.1 ms). */
    static final double TASK_SECONDS = 0.0025;
    /** A task's own overhead in an executor JVM, fixed part. */
    static final double TASK_OVERHEAD_SECONDS = 0.026;
    /** A task's own overhead per byte of round input and result: deserialising and packing them. */
    static final double TASK_OVERHEAD_SECONDS_PER_BYTE = 3.0e-9;
    /** Taking in a result where it is merged: Java deserialisation and the sums. */
    static final double MERGE_SECONDS_PER_BYTE = 1.2e-9;
    /** Seconds of untimed steps before the timed ones: HotSpot compiles the passes meanwhile. */
    static final double WARM_SECONDS = 3;
    /** Executor counts every projection shows, besides the one asked for. */
    static final int[] COUNTS = {1, 2, 4, 8, 16, 32, 64, 128, 256};

    private Projection() {}

    /**
     * The model for {@code setup}'s rounds: {@code distributed.local-steps} steps timed on one thread here (after
     * {@link #WARM_SECONDS} of warm-up, at most 10 of them, scaled up), its payloads, the measured driver and task
     * costs, and {@code network}.
     */
    public static ScalingModel of(RunSetup setup, ScalingModel.Network network) {
        int k = setup.config().distributed().localSteps();
        int timed = Math.min(k, 10);
        double compute = RoundPayloads.timeRound(setup, timed, WARM_SECONDS, 3) * k / timed;
        long in = RoundPayloads.inputBytes(setup);
        long out = RoundPayloads.resultBytes(setup, k);
        double task = TASK_OVERHEAD_SECONDS + (in + out) * TASK_OVERHEAD_SECONDS_PER_BYTE;
        ScalingModel.Driver driver = new ScalingModel.Driver(JOB_SECONDS, TASK_SECONDS,
                (in + out) * DRIVER_SECONDS_PER_BYTE);
        return new ScalingModel(new ScalingModel.Round(compute, 1, task, in, out, MERGE_SECONDS_PER_BYTE), driver,
                network, setup.config().distributed().aggregationDepth());
    }

    /**
     * Prints the projection table of {@code model} for {@link #COUNTS} and {@code executors} (marked), with
     * {@code sequencesPerRound} sequences per partition and round for the throughput column.
     */
    public static void print(PrintStream out, ScalingModel model, int executors, long sequencesPerRound) {
        ScalingModel.Round r = model.round();
        ScalingModel.Network net = model.network();
        out.printf(Locale.ROOT, "%nprojected round of synchronous averaging, one task slot per executor "
                        + "(weak scaling: each executor trains its own batch)%n"
                        + "  compute %.1f ms per round (timed here, one thread), task overhead %.1f ms, "
                        + "input %s, result %s%n"
                        + "  driver %.1f ms per job + %.1f ms per task + %.1f ms per round on the payloads "
                        + "(measured on a standalone master), network %s, aggregation depth %d%n",
                r.computeSeconds() * 1e3, r.taskOverheadSeconds() * 1e3, bytes(r.inputBytes()), bytes(r.resultBytes()),
                model.driver().jobSeconds() * 1e3, model.driver().taskSeconds() * 1e3,
                model.driver().payloadSeconds() * 1e3, network(net), model.depth());
        out.printf(Locale.ROOT, "  %9s %10s %10s %10s %10s %11s %6s %8s %10s %12s%n", "executors", "round ms",
                "driver", "broadcast", "task", "aggregate", "levels", "speedup", "efficiency", "sequences/s");
        TreeSet<Integer> counts = new TreeSet<>();
        for (int n : COUNTS) {
            counts.add(n);
        }
        counts.add(executors);
        for (int n : counts) {
            ScalingModel.Breakdown b = model.at(n);
            out.printf(Locale.ROOT, "%s %9d %10.1f %10.1f %10.1f %10.1f %11.1f %6d %8.1f %9.0f%% %12.0f%n",
                    n == executors ? "*" : " ", n, b.total() * 1e3, b.scheduling() * 1e3, b.broadcast() * 1e3,
                    b.compute() * 1e3, b.aggregation() * 1e3, b.levels(), model.speedup(n), 100 * model.efficiency(n),
                    n * sequencesPerRound / b.total());
        }
    }

    private static String network(ScalingModel.Network n) {
        if (Double.isInfinite(n.bytesPerSecond())) {
            return "none (one host)";
        }
        return String.format(Locale.ROOT, "%.3g Gbit/s, %.3g ms latency", n.bytesPerSecond() * 8 / 1e9,
                n.latencySeconds() * 1e3);
    }

    private static String bytes(long b) {
        return b < 1 << 20 ? String.format(Locale.ROOT, "%.1f KiB", b / 1024.0)
                : String.format(Locale.ROOT, "%.2f MiB", b / (double) (1 << 20));
    }
}
