package dev.carousel.nn;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import java.lang.management.ManagementFactory;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Run in a JVM of its own by {@link RecurrentNetworkMemoryTest}: after a network of the measured shape has run,
 * makes a network, evaluates once, takes one gradient pass, takes a second one, five times over with fresh
 * networks, and prints the median of what each step added to the process's resident memory (JavaCPP's
 * {@link Pointer#physicalBytes()}) and to this thread's heap allocations, as
 * {@code offHeap=<evaluate>,<gradient>,<again> heap=<evaluate>,<gradient>,<again>}.
 *
 * <p>Arguments: cell, precision, I, H, T, B, loss steps.
 */
final class NetworkMemoryProbe {
    private NetworkMemoryProbe() {}

    public static void main(String[] args) {
        CellType cell = CellType.valueOf(args[0]);
        Precision precision = Precision.valueOf(args[1]);
        int in = Integer.parseInt(args[2]);
        int h = Integer.parseInt(args[3]);
        int t = Integer.parseInt(args[4]);
        int b = Integer.parseInt(args[5]);
        int lossSteps = Integer.parseInt(args[6]);
        ModelSpec spec = new ModelSpec(cell, in, h, 2, new ForgetGate.Learned(1.0), precision);
        // A small network first: loads and initialises ND4J, OpenBLAS and the engine's classes, so that what follows
        // measures the network's own buffers.
        ModelSpec small = new ModelSpec(cell, in, 4, 2, new ForgetGate.Learned(1.0), precision);
        RecurrentNetwork warm = new RecurrentNetwork(small);
        for (int k = 0; k < 300; k++) { // until the JIT has compiled the passes' loops
            run(warm, small, 20, 2, 1);
        }
        SequenceBatch batch = TestBatches.random(t, b, in, 2, lossSteps == t
                ? Supervision.everyStep(LossKind.MSE, t) : Supervision.lastStep(LossKind.MSE, t), 3);
        INDArray theta = TestBatches.randomTheta(spec, 5, 0.5);
        INDArray grad = Nd4j.create(precision.dataType(), theta.length());
        // One network of the measured shape, kept alive to the end: its long loops are the ones the JIT compiles
        // on stack (C2's arenas grow the process by a megabyte or more), and a network freed during the
        // measurement would shrink it.
        RecurrentNetwork full = new RecurrentNetwork(spec);
        for (int k = 0; k < 3; k++) {
            full.evaluate(theta, batch);
            full.lossAndGradient(theta, batch, grad, Probe.defaults());
        }
        waitForTheJit();
        // Five fresh networks one after the other, each kept alive, and the median of each step's growth: a JIT
        // compilation or a GC thread that grows the process's memory during one of them moves one sample only.
        int repeats = 5;
        long[][] off = new long[3][repeats];
        long[][] heap = new long[3][repeats];
        java.util.List<RecurrentNetwork> kept = new java.util.ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            RecurrentNetwork net = new RecurrentNetwork(spec);
            kept.add(net);
            long off0 = Pointer.physicalBytes();
            long heap0 = heap();
            net.evaluate(theta, batch);
            long off1 = Pointer.physicalBytes();
            long heap1 = heap();
            net.lossAndGradient(theta, batch, grad, Probe.defaults());
            long off2 = Pointer.physicalBytes();
            long heap2 = heap();
            net.lossAndGradient(theta, batch, grad, Probe.defaults());
            long off3 = Pointer.physicalBytes();
            long heap3 = heap();
            off[0][r] = off1 - off0;
            off[1][r] = off2 - off1;
            off[2][r] = off3 - off2;
            heap[0][r] = heap1 - heap0;
            heap[1][r] = heap2 - heap1;
            heap[2][r] = heap3 - heap2;
        }
        System.out.printf("offHeap=%d,%d,%d heap=%d,%d,%d%n", median(off[0]), median(off[1]), median(off[2]),
                median(heap[0]), median(heap[1]), median(heap[2]));
        java.lang.ref.Reference.reachabilityFence(full);
        java.lang.ref.Reference.reachabilityFence(kept);
    }

    private static long median(long[] v) {
        long[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

    /** Waits until the JIT has compiled nothing for half a second (at most 20 s): its compilers grow the process too. */
    private static void waitForTheJit() {
        java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        long last = jit.getTotalCompilationTime();
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = jit.getTotalCompilationTime();
            if (now == last) {
                return;
            }
            last = now;
        }
    }

    private static void run(RecurrentNetwork net, ModelSpec spec, int t, int b, int lossSteps) {
        SequenceBatch batch = TestBatches.random(t, b, spec.inputSize(), 2, Supervision.lastStep(LossKind.MSE, t), 1);
        INDArray theta = TestBatches.randomTheta(spec, 1, 0.5);
        net.evaluate(theta, batch);
        net.lossAndGradient(theta, batch, Nd4j.create(spec.precision().dataType(), theta.length()), Probe.defaults());
    }

    private static long heap() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }
}
