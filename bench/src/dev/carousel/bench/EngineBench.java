package dev.carousel.bench;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import dev.carousel.nn.CellType;
import dev.carousel.nn.ForgetGate;
import dev.carousel.nn.Initializer;
import dev.carousel.nn.ModelSpec;
import dev.carousel.nn.Precision;
import dev.carousel.nn.Probe;
import dev.carousel.nn.RecurrentNetwork;
import dev.carousel.nn.SplitBatchNetwork;
import dev.carousel.optim.Adam;
import dev.carousel.optim.GradientClipping;
import dev.carousel.optim.OptimizerState;
import dev.carousel.stats.StepStats;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Training-step benchmark of Carousel's engine against DL4J's own LSTM layer, and the single-thread
 * sgemm peak of this machine through the BLAS both use (ND4J's bundled OpenBLAS, called through the
 * JavaCPP preset). One line of key=value pairs per measurement; bench/run.sh turns them into tables.
 *
 * <p>What a "step" is, for every engine: forward over T steps, full BPTT, one Adam update (lr 1e-3),
 * on one fixed batch (x ~ U[0,1] [T, B, I], one regression target per sequence at the last step),
 * float32, one BLAS/OpenMP thread. Ours adds global-norm clipping (as LocalSteps does) and, with probes
 * on, the default probe set plus its mergeable statistics (StepStats.record), i.e. exactly what a
 * training step that records probes costs in LocalSteps. Each figure is the median over {@code repeats}
 * timed steps after {@code warmup} untimed ones; medians because this shared 2-core machine is noisy.
 *
 * <p>FLOPs are counted as 24·B·H·(I+H)·T per step (the peer script's convention: 8·B·H·(I+H) per time
 * step forward, twice that backward; head, pointwise and optimiser work not counted).
 *
 * <pre>
 * modes:  peak                     sgemm GFLOP/s at n = 256, 512, 1024 (median of repeats)
 *         ours  B T I H [repeats]  probes off and on
 *         dl4j  B T I H [repeats]
 *         memory B T I H           peak heap / off-heap of one training step (probes on)
 *         probecost B T I H [repeats]  probes off, the default probe set, the default set plus the δc split, and
 *                                  every probe, interleaved in each repeat (bench/probes.sh)
 *         split B T I H [repeats]  one pass (forward, backward, no probes) on one thread against the same pass split
 *                                  across 2 threads (SplitBatchNetwork), interleaved; wall time (bench/split.sh)
 *         stepgemms B T I H        the sgemm rate of the step's products at that shape, beside square n = 512
 * </pre>
 */
public final class EngineBench {
    private static final int WARMUP = Integer.getInteger("bench.warmup", 5);

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        String mode = args[0];
        switch (mode) {
            case "peak" -> peak(args.length > 1 ? Integer.parseInt(args[1]) : 7);
            case "ours" -> ours(ints(args), false);
            case "dl4j" -> dl4j(ints(args));
            case "memory" -> memory(ints(args));
            case "probecost" -> probeCost(ints(args));
            case "split" -> split(ints(args));
            case "stepgemms" -> stepGemms(ints(args));
            default -> throw new IllegalArgumentException(
                    "mode must be peak|ours|dl4j|memory|probecost|split|stepgemms, got " + mode);
        }
    }

    private static int[] ints(String[] args) {
        int[] v = new int[5];
        v[4] = 15;
        for (int k = 1; k < args.length; k++) {
            v[k - 1] = Integer.parseInt(args[k]);
        }
        return v;
    }

    static double flops(int b, int t, int i, int h) {
        return 24.0 * b * h * (double) (i + h) * t;
    }

    static String line(String engine, int b, int t, int i, int h, double medianSeconds) {
        return String.format("engine=%s B=%d T=%d I=%d H=%d median_step_ms=%.2f seq_steps_per_s=%.0f gflops=%.2f",
                engine, b, t, i, h, medianSeconds * 1e3, b * t / medianSeconds, flops(b, t, i, h) / medianSeconds / 1e9);
    }

    /** Thread CPU time: the same step measured without the time other processes took from this core. */
    static String cpu(double seconds) {
        return String.format(" median_cpu_ms=%.2f", seconds * 1e3);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    // ---------------------------------------------------------------------------------------------

    /** Single-thread sgemm C = A·B, square n, through cblas_sgemm of the OpenBLAS that ND4J loads. */
    static void peak(int repeats) {
        Nd4j.create(1); // loads the backend (and with it the same libopenblas)
        openblas_nolapack.blas_set_num_threads(1);
        for (int n : new int[] {256, 512, 1024}) {
            double[] t = sgemm(n, n, n, false, false, repeats);
            System.out.printf("engine=sgemm-peak n=%d threads=%d median_ms=%.3f gflops=%.2f median_cpu_ms=%.3f cpu_gflops=%.2f%n",
                    n, openblas_nolapack.blas_get_num_threads(), t[0] * 1e3, 2.0 * n * n * n / t[0] / 1e9, t[1] * 1e3,
                    2.0 * n * n * n / t[1] / 1e9);
        }
    }

    /**
     * The single-thread sgemm rate of an LSTM step's products at (B, T, I, H), beside the square n = 512 one:
     * h_{t−1}·W_h [B, H]×[H, 4H] and δz_t·W_hᵀ [B, 4H]×[4H, H] (each once per time step), and the weight gradient
     * H_prevᵀ·δZ [H, T·B]×[T·B, 4H] (once per pass).
     */
    static void stepGemms(int[] a) {
        int b = a[0], t = a[1], h = a[3];
        Nd4j.create(1);
        openblas_nolapack.blas_set_num_threads(1);
        for (Product p : List.of(new Product("square-512", 512, 512, 512, false, false),
                new Product("h*Wh", b, h, 4 * h, false, false),
                new Product("dz*WhT", b, 4 * h, h, false, true),
                new Product("HT*dZ", h, t * b, 4 * h, true, false))) {
            double[] r = sgemm(p.m, p.k, p.n, p.transA, p.transB, 7);
            System.out.printf("engine=sgemm-shape product=%s M=%d K=%d N=%d median_cpu_us=%.2f cpu_gflops=%.2f%n",
                    p.name, p.m, p.k, p.n, r[1] * 1e6, 2.0 * p.m * p.k * p.n / r[1] / 1e9);
        }
    }

    /** C[m, n] = op(A)·op(B) with inner dimension k. */
    private record Product(String name, int m, int k, int n, boolean transA, boolean transB) {}

    /**
     * Times C[M, N] = op(A)·op(B) with inner dimension K, single-threaded: medians over {@code repeats} of the wall
     * and thread CPU seconds per product, each repeat 2 GFLOP of products (~20 ms at this machine's peak).
     */
    static double[] sgemm(int m, int k, int n, boolean transA, boolean transB, int repeats) {
        FloatPointer a = new FloatPointer((long) m * k);
        FloatPointer bm = new FloatPointer((long) k * n);
        FloatPointer c = new FloatPointer((long) m * n);
        SplittableRandom r = new SplittableRandom(1);
        for (long i = 0; i < (long) m * k; i++) {
            a.put(i, (float) r.nextDouble());
        }
        for (long i = 0; i < (long) k * n; i++) {
            bm.put(i, (float) r.nextDouble());
        }
        int ta = transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        int tb = transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        int inner = Math.max(1, (int) (2e9 / (2.0 * m * k * n)));
        double[] times = new double[repeats];
        double[] cpuTimes = new double[repeats];
        java.lang.management.ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        for (int rep = -2; rep < repeats; rep++) {
            long c0 = tmx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (int i = 0; i < inner; i++) {
                openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, ta, tb, m, n, k, 1f, a, lda, bm, ldb,
                        0f, c, n);
            }
            if (rep >= 0) {
                times[rep] = (System.nanoTime() - t0) / 1e9 / inner;
                cpuTimes[rep] = (tmx.getCurrentThreadCpuTime() - c0) / 1e9 / inner;
            }
        }
        a.close();
        bm.close();
        c.close();
        return new double[] {median(times), median(cpuTimes)};
    }

    // ---------------------------------------------------------------------------------------------

    /** The benchmark batch: x ~ U[0,1] [T, B, I] time-major, target ~ U[0,1] at the last step (O = 1). */
    static SequenceBatch batch(int b, int t, int i) {
        SplittableRandom r = new SplittableRandom(42);
        double[] x = new double[t * b * i];
        for (int k = 0; k < x.length; k++) {
            x[k] = r.nextDouble();
        }
        double[] y = new double[t * b];
        for (int k = 0; k < y.length; k++) {
            y[k] = r.nextDouble();
        }
        return new SequenceBatch(t, b, i, 1, x, y, Supervision.lastStep(LossKind.MSE, t));
    }

    /** Carousel's training step as LocalSteps runs it (without the batch generation). */
    static final class OursStep {
        final RecurrentNetwork net;
        final INDArray theta;
        final INDArray grad;
        final Adam adam = new Adam(1e-3, 0.9, 0.999, 1e-8);
        final OptimizerState state;
        final SequenceBatch batch;
        /** "Probes on": the default probe set, what a probed update of a default run records. */
        final Set<Probe> probes = Probe.defaults();

        OursStep(int b, int t, int i, int h, Precision precision) {
            ModelSpec spec = new ModelSpec(CellType.LSTM, i, h, 1, new ForgetGate.Learned(1.0), precision);
            net = new RecurrentNetwork(spec);
            theta = Initializer.initialize(spec, 1.0, 7);
            grad = Nd4j.create(theta.dataType(), theta.length());
            state = adam.newState(theta);
            batch = batch(b, t, i);
        }

        double run(boolean withProbes) {
            return run(withProbes ? probes : EnumSet.noneOf(Probe.class));
        }

        /** One step recording {@code set} (none when empty) and its statistics. */
        double run(Set<Probe> set) {
            RecurrentNetwork.Result r = net.lossAndGradient(theta, batch, grad, set);
            if (!set.isEmpty()) {
                new StepStats(batch.steps(), set).record(r.probes());
            }
            GradientClipping.clipByGlobalNorm(grad, 0.0);
            adam.update(theta, grad, state);
            return r.loss();
        }
    }

    static void ours(int[] a, boolean quiet) {
        int b = a[0], t = a[1], i = a[2], h = a[3], repeats = a[4];
        OursStep step = new OursStep(b, t, i, h, Precision.FLOAT32);
        for (int k = 0; k < WARMUP; k++) {
            step.run(k % 2 == 0);
        }
        // Interleave off/on so that machine noise hits both alike.
        double[] off = new double[repeats];
        double[] on = new double[repeats];
        double[] offCpu = new double[repeats];
        double[] onCpu = new double[repeats];
        java.lang.management.ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        for (int rep = 0; rep < repeats; rep++) {
            long c0 = tmx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            step.run(false);
            long t1 = System.nanoTime();
            long c1 = tmx.getCurrentThreadCpuTime();
            step.run(true);
            long t2 = System.nanoTime();
            long c2 = tmx.getCurrentThreadCpuTime();
            off[rep] = (t1 - t0) / 1e9;
            on[rep] = (t2 - t1) / 1e9;
            offCpu[rep] = (c1 - c0) / 1e9;
            onCpu[rep] = (c2 - c1) / 1e9;
        }
        System.out.println(line("carousel-probes-off", b, t, i, h, median(off)) + cpu(median(offCpu)));
        System.out.println(line("carousel-probes-on", b, t, i, h, median(on)) + cpu(median(onCpu)));
    }

    /**
     * The cost of each probe set per probed step: off, {@link Probe#defaults()}, the defaults plus the δc split,
     * and every probe, run in turn in every repeat so that noise hits all alike; medians of wall and thread CPU time.
     */
    static void probeCost(int[] a) {
        int b = a[0], t = a[1], i = a[2], h = a[3], repeats = a[4];
        OursStep step = new OursStep(b, t, i, h, Precision.FLOAT32);
        Set<Probe> split = EnumSet.copyOf(Probe.defaults());
        for (Probe p : Probe.values()) {
            if (p.isCellTerm()) {
                split.add(p);
            }
        }
        Map<String, Set<Probe>> sets = new LinkedHashMap<>();
        sets.put("off", EnumSet.noneOf(Probe.class));
        sets.put("default", Probe.defaults());
        sets.put("default+split", split);
        sets.put("all", EnumSet.allOf(Probe.class));
        for (int k = 0; k < WARMUP; k++) {
            for (Set<Probe> set : sets.values()) {
                step.run(set);
            }
        }
        Map<String, double[]> wall = new LinkedHashMap<>();
        Map<String, double[]> cpu = new LinkedHashMap<>();
        sets.keySet().forEach(k -> {
            wall.put(k, new double[repeats]);
            cpu.put(k, new double[repeats]);
        });
        java.lang.management.ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        for (int rep = 0; rep < repeats; rep++) {
            for (Map.Entry<String, Set<Probe>> e : sets.entrySet()) {
                long c0 = tmx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                step.run(e.getValue());
                wall.get(e.getKey())[rep] = (System.nanoTime() - t0) / 1e9;
                cpu.get(e.getKey())[rep] = (tmx.getCurrentThreadCpuTime() - c0) / 1e9;
            }
        }
        double offCpu = median(cpu.get("off"));
        for (String k : sets.keySet()) {
            double c = median(cpu.get(k));
            System.out.println(line("carousel-probes-" + k, b, t, i, h, median(wall.get(k))) + cpu(c)
                    + String.format(" cpu_vs_off=%.3f", c / offCpu));
        }
    }

    /**
     * Wall time of one gradient pass (no probes) on one thread and split across two ({@link SplitBatchNetwork}),
     * interleaved in each repeat; prints both medians, the speed-up and whether {@link SplitBatchNetwork#pays}.
     */
    static void split(int[] a) {
        int b = a[0], t = a[1], i = a[2], h = a[3], repeats = a[4];
        ModelSpec spec = new ModelSpec(CellType.LSTM, i, h, 1, new ForgetGate.Learned(1.0), Precision.FLOAT32);
        RecurrentNetwork one = new RecurrentNetwork(spec);
        INDArray theta = Initializer.initialize(spec, 1.0, 7);
        INDArray grad = Nd4j.create(theta.dataType(), theta.length());
        SequenceBatch batch = batch(b, t, i);
        try (SplitBatchNetwork two = new SplitBatchNetwork(spec, 2)) {
            for (int k = 0; k < WARMUP; k++) {
                one.lossAndGradient(theta, batch, grad, Set.of());
                two.lossAndGradient(theta, batch, grad, Set.of());
            }
            double[] w1 = new double[repeats];
            double[] w2 = new double[repeats];
            for (int rep = 0; rep < repeats; rep++) {
                long t0 = System.nanoTime();
                one.lossAndGradient(theta, batch, grad, Set.of());
                long t1 = System.nanoTime();
                two.lossAndGradient(theta, batch, grad, Set.of());
                long t2 = System.nanoTime();
                w1[rep] = (t1 - t0) / 1e9;
                w2[rep] = (t2 - t1) / 1e9;
            }
            System.out.println(String.format("engine=split B=%d T=%d I=%d H=%d one_thread_ms=%.2f two_threads_ms=%.2f "
                            + "speedup=%.3f chunk_work=%d pays=%b", b, t, i, h, median(w1) * 1e3, median(w2) * 1e3,
                    median(w1) / median(w2), (long) (b / 2) * 4 * h * (i + h), SplitBatchNetwork.pays(spec, b, 2)));
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** DL4J's LSTM layer (LastTimeStep wrapper) + dense MSE output, Adam 1e-3, float32, same data. */
    static void dl4j(int[] a) {
        int b = a[0], t = a[1], i = a[2], h = a[3], repeats = a[4];
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(7)
                .dataType(DataType.FLOAT)
                .updater(new org.nd4j.linalg.learning.config.Adam(1e-3))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new LastTimeStep(new LSTM.Builder().nIn(i).nOut(h).activation(Activation.TANH)
                        .gateActivationFunction(Activation.SIGMOID).build()))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .nIn(h).nOut(1).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        SequenceBatch sb = batch(b, t, i);
        // DL4J's recurrent layout is [B, I, T] ("NCW").
        INDArray x = Nd4j.create(DataType.FLOAT, b, i, t);
        for (int tt = 0; tt < t; tt++) {
            for (int s = 0; s < b; s++) {
                for (int k = 0; k < i; k++) {
                    x.putScalar(new long[] {s, k, tt}, sb.input(tt, s, k));
                }
            }
        }
        INDArray y = Nd4j.create(DataType.FLOAT, b, 1);
        for (int s = 0; s < b; s++) {
            y.putScalar(s, 0, sb.target(t - 1, s, 0));
        }
        for (int k = 0; k < WARMUP; k++) {
            net.fit(x, y);
        }
        double[] times = new double[repeats];
        double[] cpuTimes = new double[repeats];
        java.lang.management.ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        for (int rep = 0; rep < repeats; rep++) {
            long c0 = tmx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            net.fit(x, y);
            times[rep] = (System.nanoTime() - t0) / 1e9;
            cpuTimes[rep] = (tmx.getCurrentThreadCpuTime() - c0) / 1e9;
        }
        System.out.println(line("dl4j-lstm", b, t, i, h, median(times)) + cpu(median(cpuTimes)));
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Peak memory of training at one shape: JVM heap in use (MemoryMXBean, after a GC before and sampled
     * right after each phase) and JavaCPP off-heap bytes (Pointer.totalBytes: what ND4J/JavaCPP allocated;
     * physicalBytes: the process RSS as JavaCPP reads it).
     */
    static void memory(int[] a) {
        int b = a[0], t = a[1], i = a[2], h = a[3];
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        Nd4j.create(1);
        System.gc();
        long heap0 = mx.getHeapMemoryUsage().getUsed();
        long off0 = Pointer.totalBytes();
        long rss0 = Pointer.physicalBytes();
        List<String> out = new ArrayList<>();
        for (Precision p : Precision.values()) {
            System.gc();
            long heapBase = mx.getHeapMemoryUsage().getUsed();
            long offBase = Pointer.totalBytes();
            OursStep step = new OursStep(b, t, i, h, p);
            long heapPeak = 0;
            long offPeak = 0;
            long rssPeak = 0;
            for (int k = 0; k < 3; k++) {
                step.run(true);
                System.gc();
                heapPeak = Math.max(heapPeak, mx.getHeapMemoryUsage().getUsed() - heapBase);
                offPeak = Math.max(offPeak, Pointer.totalBytes() - offBase);
                rssPeak = Math.max(rssPeak, Pointer.physicalBytes());
            }
            out.add(String.format("engine=memory precision=%s B=%d T=%d I=%d H=%d retained_heap_bytes=%d offheap_bytes=%d "
                    + "rss_bytes=%d formula_offheap_bytes=%d formula_heap_bytes=%d", p, b, t, i, h, heapPeak, offPeak,
                    rssPeak, dev.carousel.nn.MemoryEstimate.offHeapBytes(b, t, i, h, 1, p),
                    dev.carousel.nn.MemoryEstimate.heapBytes(b, t, i, h, 1, p)));
            if (step.run(false) == 12345.0) {
                System.out.print(""); // keep step reachable through the sampling above
            }
        }
        out.forEach(System.out::println);
        System.out.printf("engine=memory-baseline heap_bytes=%d offheap_bytes=%d rss_bytes=%d%n", heap0, off0, rss0);
    }
}
