package dev.carousel.bench;

import dev.carousel.config.CarouselConfig;
import dev.carousel.optim.OptimizerState;
import dev.carousel.train.LocalSteps;
import dev.carousel.train.RunSetup;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Scaling without Spark: N threads of one JVM each run the default sweep cell's training steps
 * ({@link LocalSteps#run}, as a Spark task does) on their own network, started together.
 *
 * <pre>ThreadBench THREADS UPDATES [HIDDEN] [LENGTH]</pre>
 */
public final class ThreadBench {
    private ThreadBench() {}

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        int updates = Integer.parseInt(args[1]);
        int hidden = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int length = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        List<LocalSteps> steps = new ArrayList<>();
        List<INDArray> thetas = new ArrayList<>();
        List<OptimizerState> states = new ArrayList<>();
        for (int k = 0; k < threads; k++) {
            CarouselConfig c = SparkBench.cell(hidden, length, 1, 1_000_000, k + 1);
            RunSetup setup = RunSetup.of(c);
            LocalSteps s = new LocalSteps(setup);
            INDArray theta = setup.initialParameters();
            OptimizerState state = s.optimizer().newState(theta);
            s.run(theta, state, i -> setup.trainingBatch(0, i), 0, Integer.getInteger("bench.warmup", 300)); // warm-up: JIT, buffers
            steps.add(s);
            thetas.add(theta);
            states.add(state);
        }
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        long[] cpuNs = new long[threads];
        long[] wallNs = new long[threads];
        long[] allocBytes = new long[threads];
        com.sun.management.ThreadMXBean alloc = (com.sun.management.ThreadMXBean) cpu;
        List<Thread> workers = new ArrayList<>();
        for (int k = 0; k < threads; k++) {
            final int id = k;
            Thread t = new Thread(() -> {
                LocalSteps s = steps.get(id);
                RunSetup setup = s.setup();
                try {
                    start.await();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
                long a0 = alloc.getCurrentThreadAllocatedBytes();
                long c0 = cpu.getCurrentThreadCpuTime();
                long w0 = System.nanoTime();
                for (long u = 1000; u < 1000 + updates; u += 50) {
                    s.run(thetas.get(id), states.get(id), i -> setup.trainingBatch(0, i), u, 50);
                }
                cpuNs[id] = cpu.getCurrentThreadCpuTime() - c0;
                wallNs[id] = System.nanoTime() - w0;
                allocBytes[id] = alloc.getCurrentThreadAllocatedBytes() - a0;
            }, "worker-" + k);
            t.start();
            workers.add(t);
        }
        long gc0 = gcMillis();
        long gcn0 = gcCount();
        long jit0 = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        long pc0 = processCpu();
        start.await();
        long w0 = System.nanoTime();
        for (Thread t : workers) {
            t.join();
        }
        long wall = System.nanoTime() - w0;
        long pc = processCpu() - pc0;
        double totalUpdates = (double) threads * (updates / 50 * 50);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "threads=%d H=%d T=%d updates/s=%.1f wall_s=%.2f process_cpus=%.2f gc_ms=%d gc_n=%d jit_ms=%d",
                threads, hidden, length, totalUpdates / (wall / 1e9), wall / 1e9, pc / (double) wall,
                gcMillis() - gc0, gcCount() - gcn0,
                ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit0));
        for (int k = 0; k < threads; k++) {
            sb.append(String.format(Locale.ROOT, " t%d_ms_per_update=%.2f t%d_cpu_ms_per_update=%.2f t%d_kB_per_update=%.1f",
                    k, wallNs[k] / 1e6 / updates, k, cpuNs[k] / 1e6 / updates, k, allocBytes[k] / 1e3 / updates));
        }
        System.out.println(sb);
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long gcMillis() {
        long s = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            s += g.getCollectionTime();
        }
        return s;
    }

    private static long gcCount() {
        long s = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            s += g.getCollectionCount();
        }
        return s;
    }
}
