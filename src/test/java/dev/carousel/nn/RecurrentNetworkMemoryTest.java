package dev.carousel.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The memory a real network takes, measured, against {@link MemoryEstimate}: the off-heap bytes of evaluating
 * (the forward buffers) and of the first gradient pass (the backward buffers it adds), and the heap bytes of the
 * passes; and evaluating gives the same bits before and after the backward buffers exist.
 */
class RecurrentNetworkMemoryTest {

    /**
     * Off-heap: ND4J allocates its buffers in native code, outside JavaCPP's {@code Pointer.totalBytes()}, so the
     * measure is the process's resident memory ({@code Pointer.physicalBytes()}) in a JVM of its own
     * ({@link NetworkMemoryProbe}) whose heap is touched up front, with glibc told to map every block from 64 KiB
     * on by itself: then each [T·B, ·] buffer adds its pages when a pass writes it and nothing else's memory is
     * reused. The sizes make the workspace 23–54 MB.
     *
     * <p>The tolerance is 5% of the estimate plus 1.5 MiB, as the error is mostly absolute: the pages no pass
     * writes (h_{−1}, c_{−1}, the Gram matrices before probes) and the JIT's and ND4J's own native growth during a
     * pass, which moved single figures by −1.2 to +1.2 MiB in trials. Every [T·B, H] or wider buffer is larger than
     * that bound (the smallest, a float32 [T·B, H] of the LSTM, is 3.3 MB against 2.7 MB), so a buffer missing
     * from the formula, or one the network should not allocate, fails the test. Float32 halves every figure of
     * float64; the cases cover both cells and both precisions.
     *
     * <p>Heap: a second probed gradient pass allocates the probe arrays, 8·4·B·T bytes ({@link MemoryEstimate}),
     * plus at most 16 KiB of result objects (seen: 3.5 KiB); the first two passes allocate the step blocks, the
     * Gram and path-gain arrays and one probed step's probes, plus at most 1 MiB of ND4J array objects and
     * conversion buffers (seen: 0.3–0.4 MiB).
     */
    @EnabledOnOs(OS.LINUX)
    @ParameterizedTest(name = "{0} {1} H={2} loss steps={3}")
    @CsvSource({"LSTM, FLOAT32, 64, 1", "LSTM, FLOAT64, 64, 200", "RNN, FLOAT64, 128, 200"})
    void measuredMemoryMatchesTheEstimate(CellType cell, Precision precision, int h, int lossSteps)
            throws IOException, InterruptedException {
        int in = 4;
        int t = 200;
        int b = 64;
        long[][] measured = measure(cell, precision, in, h, t, b, lossSteps);
        long[] offHeap = measured[0];
        long[] heap = measured[1];
        ModelSpec spec = new ModelSpec(cell, in, h, 2, new ForgetGate.Learned(1.0), precision);

        long forward = MemoryEstimate.evaluationOffHeapBytes(spec, b, t, lossSteps);
        long backward = MemoryEstimate.workspaceBytes(spec, b, t, lossSteps, true) - forward;
        assertWithin("evaluating: the forward buffers", forward, offHeap[0]);
        assertWithin("the first gradient pass: the backward buffers", backward, offHeap[1]);
        assertTrue(Math.abs(offHeap[2]) < 0.02 * (forward + backward), "a second pass allocates no buffers: " + offHeap[2]);

        long probes = 32L * b * t;
        assertTrue(heap[2] >= probes && heap[2] <= probes + (16 << 10),
                "second pass: " + heap[2] + " heap bytes against " + probes + " of probe arrays");
        long batch = 8L * t * b * (in + 2);
        long firstPasses = MemoryEstimate.heapBytes(spec, b, t) - batch;
        assertTrue(heap[0] + heap[1] >= firstPasses && heap[0] + heap[1] <= firstPasses + (1 << 20),
                "first passes: " + (heap[0] + heap[1]) + " heap bytes against " + firstPasses + " estimated");
    }

    private static void assertWithin(String what, long estimate, long measured) {
        assertTrue(Math.abs(measured - estimate) <= 0.05 * estimate + (3 << 19),
                what + ": measured " + measured + " bytes, estimated " + estimate);
    }

    /** {offHeap, heap}, each {evaluate, first gradient pass, second gradient pass}, from {@link NetworkMemoryProbe}. */
    private static long[][] measure(CellType cell, Precision precision, int in, int h, int t, int b, int lossSteps)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), NetworkMemoryProbe.class.getName(),
                cell.name(), precision.name()));
        for (int v : new int[] {in, h, t, b, lossSteps}) {
            command.add(Integer.toString(v));
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("MALLOC_MMAP_THRESHOLD_", "65536");
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process process = pb.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the probe JVM did not finish");
        assertEquals(0, process.exitValue(), "probe JVM failed: " + out);
        String line = out.lines().filter(l -> l.startsWith("offHeap=")).findFirst()
                .orElseThrow(() -> new AssertionError("no measurement in: " + out));
        String[] parts = line.split(" ");
        return new long[][] {numbers(parts[0]), numbers(parts[1])};
    }

    private static long[] numbers(String field) {
        String[] v = field.substring(field.indexOf('=') + 1).split(",");
        return new long[] {Long.parseLong(v[0]), Long.parseLong(v[1]), Long.parseLong(v[2])};
    }

    /** A network that has only evaluated gives the same bits as after a gradient pass added its buffers. */
    @ParameterizedTest(name = "{0} {1} T={2} lossSteps={3}")
    @CsvSource({"LSTM, FLOAT32, 7, 1", "LSTM, FLOAT64, 7, 7", "RNN, FLOAT32, 5, 1", "RNN, FLOAT64, 4, 4",
            "LSTM, FLOAT32, 9, 3"})
    void evaluationIsTheSameWithOrWithoutBackwardBuffers(CellType cell, Precision precision, int t, int lossSteps) {
        int b = 5;
        ModelSpec spec = new ModelSpec(cell, 3, 6, 2, new ForgetGate.Learned(1.0), precision);
        SequenceBatch batch = batch(spec, b, t, lossSteps);
        INDArray theta = Nd4j.rand(spec.precision().dataType(), spec.layout().count()).subi(0.5);
        RecurrentNetwork net = new RecurrentNetwork(spec);
        RecurrentNetwork.Evaluation before = net.evaluate(theta, batch);
        net.lossAndGradient(theta, batch, Nd4j.create(spec.precision().dataType(), spec.layout().count()), false);
        RecurrentNetwork.Evaluation after = net.evaluate(theta, batch);
        assertEquals(Double.doubleToLongBits(before.loss()), Double.doubleToLongBits(after.loss()));
        assertEquals(Double.doubleToLongBits(before.metric()), Double.doubleToLongBits(after.metric()));
    }

    private static SequenceBatch batch(ModelSpec spec, int b, int t, int lossSteps) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        int in = spec.inputSize();
        int out = spec.outputSize();
        double[] inputs = new double[t * b * in];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = r.nextDouble(-1, 1);
        }
        int[] steps = new int[lossSteps];
        for (int k = 0; k < lossSteps; k++) {
            steps[k] = t - lossSteps + k;
        }
        double[] targets = new double[t * b * out];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = r.nextDouble();
        }
        return new SequenceBatch(t, b, in, out, inputs, targets, new Supervision(LossKind.MSE, steps));
    }
}
