package dev.carousel.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.train.RunSetup;
import dev.carousel.train.RunStatus;
import dev.carousel.train.TrainResult;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Soak: 500 rounds of a small model on {@code local[2]} (the executor threads share this JVM, so this JVM's
 * memory is all of it). Memory is sampled after full collections at every evaluation; whatever a round
 * allocates and never frees — broadcasts not destroyed, INDArrays or workspaces made per round and kept,
 * per-task caches that grow — shows as drift between round 50 (ND4J loaded, caches filled, JIT done) and
 * round 500. Asserted: heap in use and off-heap resident memory each differ by less than 10%.
 *
 * <p>Off-heap: ND4J's native buffers are allocated by libnd4j, outside JavaCPP's accounting
 * ({@link Pointer#totalBytes()} stays 0), so the measure is the process's resident set
 * ({@link Pointer#physicalBytes()}) minus the committed heap. The soak profile runs this JVM with a fixed,
 * pre-touched heap ({@code -Xms512m -Xmx512m -XX:+AlwaysPreTouch}), so the whole heap is resident from the
 * start and the difference is exactly the memory outside it (native buffers, metaspace, code, threads).
 *
 * <p>Two things grow by design and are kept out of the measure: the run's own per-step statistics (one
 * StepStats, ~160 KB here, per probed update, so probes run every 100 updates rather than every 10), and
 * Spark's status store, which keeps the last {@code spark.ui.retainedJobs} jobs (1,000 by default, ~5 KB
 * each), capped here at 20 so that it is full before round 50.
 *
 * <p>Minutes long, so only in the soak profile: {@code mvn -B verify -Psoak}. Numbers: BENCHMARKS.md, "Soak".
 */
@Tag("soak")
class SoakTest {
    static final int ROUNDS = 500;
    static final int SAMPLE_EVERY = 50;
    static final double MAX_DRIFT = 0.10;

    static final String CONFIG = "seed = 21\ntask { name = adding, length = 20, validation-sequences = 64 }\n"
            + "model.hidden = 16\ntraining { batch-size = 8, updates = " + ROUNDS + ", eval-every = " + SAMPLE_EVERY + " }\n"
            + "probes.every = 100\ndistributed { partitions = 2, local-steps = 1 }\n";

    /**
     * Memory after full collections, bytes.
     *
     * @param heap     heap in use (MemoryMXBean)
     * @param offHeap  resident set minus committed heap
     * @param jvm      the JVM's own non-heap memory (metaspace, code cache), committed; part of offHeap
     * @param rss      resident set of the process, {@link Pointer#physicalBytes()}
     * @param javacpp  JavaCPP's tracked allocations, {@link Pointer#totalBytes()}
     */
    record Sample(long round, long heap, long offHeap, long jvm, long rss, long javacpp, double seconds) {}

    @Test
    void fiveHundredRoundsKeepHeapAndOffHeapFlat() {
        SparkSessionExtension.stopShared(); // a context of our own, with a bounded status store
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("carousel-soak")
                .set("spark.ui.enabled", "false")
                .set("spark.ui.retainedJobs", "20")
                .set("spark.ui.retainedStages", "20");
        CarouselConfig cfg = ConfigLoader.parse(CONFIG, "SoakTest");
        List<Sample> samples = new ArrayList<>();
        TrainResult r;
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            long start = System.nanoTime();
            // local-steps = 1: one round per update, so the evaluation at update u follows round u.
            r = new DistributedTrainer(sc, RunSetup.of(cfg), DistributedTrainer.Options.NONE).run((point, total) -> {
                if (point.update() > 0) {
                    Sample s = sample(point.update(), (System.nanoTime() - start) / 1e9);
                    samples.add(s);
                    System.out.printf("round %3d: heap %5.1f MB, off-heap %6.1f MB (of which JVM non-heap %5.1f MB; rss %6.1f MB),"
                                    + " javacpp %.1f MB, %6.1f s%n",
                            s.round(), mb(s.heap()), mb(s.offHeap()), mb(s.jvm()), mb(s.rss()), mb(s.javacpp()), s.seconds());
                }
                return true;
            });
        }
        assertEquals(RunStatus.COMPLETED, r.status());
        assertEquals(ROUNDS / SAMPLE_EVERY, samples.size());
        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        assertEquals(SAMPLE_EVERY, first.round());
        assertEquals(ROUNDS, last.round());
        double heap = drift(first.heap(), last.heap());
        double offHeap = drift(first.offHeap(), last.offHeap());
        double rss = drift(first.rss(), last.rss());
        double outsideJvm = drift(first.offHeap() - first.jvm(), last.offHeap() - last.jvm());
        System.out.printf("drift round %d -> %d: heap %+.1f%%, off-heap %+.1f%% (outside the JVM's non-heap %+.1f%%), "
                        + "rss %+.1f%%; %.3f s per round%n",
                first.round(), last.round(), 100 * heap, 100 * offHeap, 100 * outsideJvm, 100 * rss,
                (last.seconds() - first.seconds()) / (last.round() - first.round()));
        assertTrue(Math.abs(heap) < MAX_DRIFT, "heap drift " + heap);
        assertTrue(Math.abs(offHeap) < MAX_DRIFT, "off-heap drift " + offHeap);
    }

    static Sample sample(long round, double seconds) {
        // Several collections, with pauses: Spark's ContextCleaner and ND4J's deallocator thread free native
        // memory from reference queues that a collection fills, so let them run and collect again.
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long rss = Pointer.physicalBytes();
        long jvm = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage().getCommitted();
        return new Sample(round, heap.getUsed(), rss - heap.getCommitted(), jvm, rss, Pointer.totalBytes(), seconds);
    }

    static double drift(long from, long to) {
        return (to - from) / (double) from;
    }

    static double mb(long bytes) {
        return bytes / 1048576.0;
    }
}
