package dev.carousel.nn;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import java.lang.management.ManagementFactory;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Run in a JVM of its own by {@link RecurrentNetworkMemoryTest}: makes one network, evaluates once, takes one
 * gradient pass, takes a second one, and prints what each step added to the process's resident memory
 * (JavaCPP's {@link Pointer#physicalBytes()}) and to this thread's heap allocations, as
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
        RecurrentNetwork net = new RecurrentNetwork(spec);
        long[] off = new long[4];
        long[] heap = new long[4];
        off[0] = Pointer.physicalBytes();
        heap[0] = heap();
        net.evaluate(theta, batch);
        off[1] = Pointer.physicalBytes();
        heap[1] = heap();
        net.lossAndGradient(theta, batch, grad, true);
        off[2] = Pointer.physicalBytes();
        heap[2] = heap();
        net.lossAndGradient(theta, batch, grad, true);
        off[3] = Pointer.physicalBytes();
        heap[3] = heap();
        System.out.printf("offHeap=%d,%d,%d heap=%d,%d,%d%n", off[1] - off[0], off[2] - off[1], off[3] - off[2],
                heap[1] - heap[0], heap[2] - heap[1], heap[3] - heap[2]);
    }

    private static void run(RecurrentNetwork net, ModelSpec spec, int t, int b, int lossSteps) {
        SequenceBatch batch = TestBatches.random(t, b, spec.inputSize(), 2, Supervision.lastStep(LossKind.MSE, t), 1);
        INDArray theta = TestBatches.randomTheta(spec, 1, 0.5);
        net.evaluate(theta, batch);
        net.lossAndGradient(theta, batch, Nd4j.create(spec.precision().dataType(), theta.length()), true);
    }

    private static long heap() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }
}
