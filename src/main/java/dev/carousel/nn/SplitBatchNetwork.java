package dev.carousel.nn;

import dev.carousel.data.SequenceBatch;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One training pass split across c threads by sequences: the batch's B sequences go in c contiguous chunks of
 * ⌊B/c⌋ or ⌈B/c⌉ (the first B mod c chunks one longer), each chunk runs on its own {@link RecurrentNetwork} (its own
 * workspace) and gradient buffer, and the chunks' results are combined in chunk order: ∂L/∂θ = Σ_i (B_i/B)·∂L_i/∂θ,
 * per-sequence losses and per-sequence probes concatenated [B, T]. The chunks are fixed by (B, c) and the sums run
 * in one order, so the result is bit-identical for a given c, and equal to one thread's within float rounding (each
 * chunk's products see fewer rows; the partial gradients are added in another order).
 *
 * <p>The engine is single-threaded by design; this is how a task with c cores ({@code spark.task.cpus} = c) uses
 * them. The caller's thread runs chunk 0, c − 1 daemon threads the others. dwh_step, a norm
 * over the whole batch's h_{t−1}ᵀ δz_t, cannot be assembled from the chunks' norms and is refused; {@link #pays} says
 * when splitting is worth it. Shapes as in {@link RecurrentNetwork}. Not thread-safe itself: one per task thread;
 * {@link #close} stops its threads.
 */
public final class SplitBatchNetwork implements AutoCloseable {
    /**
     * The least matrix-product work per chunk and time step, in multiply-adds B_i·4H·(I + H) (LSTM) or
     * B_i·H·(I + H) (RNN), at which a split pays. Measured on two idle cores (BENCHMARKS.md, "Threads in one task"):
     * 0.79× at 69,632 (the default sweep's cell, B = 32, H = 32), 1.17–1.41× at 540,672 (B = 64, H = 64), 1.56× at
     * 2.1 M and up to 1.93× beyond; below the crossover the hand-off and the shorter products cost more than the
     * second core gives.
     */
    public static final long MIN_CHUNK_WORK = 1L << 19;

    private final ModelSpec spec;
    private final int threads;
    private final List<RecurrentNetwork> nets = new ArrayList<>();
    private final List<INDArray> grads = new ArrayList<>();
    private final ExecutorService pool;

    public SplitBatchNetwork(ModelSpec spec, int threads) {
        if (threads < 2) {
            throw new IllegalArgumentException("a split needs at least 2 threads, got " + threads);
        }
        this.spec = spec;
        this.threads = threads;
        for (int i = 0; i < threads; i++) {
            nets.add(new RecurrentNetwork(spec));
        }
        // Idle threads end after a minute, so a network that is dropped without close() leaves no threads behind.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads - 1, threads - 1, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "carousel-split-batch");
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
        this.pool = executor;
    }

    /**
     * True when a batch of {@code b} sequences of a {@code spec} model is worth splitting across {@code threads}:
     * at least two threads, every chunk has a sequence, and each chunk's per-step product work reaches
     * {@link #MIN_CHUNK_WORK}.
     */
    public static boolean pays(ModelSpec spec, int b, int threads) {
        if (threads < 2 || b < threads) {
            return false;
        }
        long perSequence = (long) spec.gateWidth() * (spec.inputSize() + spec.hidden());
        return (long) (b / threads) * perSequence >= MIN_CHUNK_WORK;
    }

    public int threads() {
        return threads;
    }

    /**
     * As {@link RecurrentNetwork#lossAndGradient(INDArray, SequenceBatch, INDArray, Set)}, split across the threads.
     *
     * @param theta [P]
     * @param grad  [P], overwritten with ∂L/∂θ of the whole batch
     * @throws IllegalArgumentException if the batch has fewer sequences than threads, or dwh_step is asked for
     */
    public RecurrentNetwork.Result lossAndGradient(INDArray theta, SequenceBatch batch, INDArray grad, Set<Probe> probes) {
        int b = batch.batchSize();
        if (b < threads) {
            throw new IllegalArgumentException("a batch of " + b + " sequences cannot be split across " + threads
                    + " threads");
        }
        if (probes.contains(Probe.DWH_STEP)) {
            throw new IllegalArgumentException("dwh_step is a norm over the whole batch and cannot be split");
        }
        int[] start = new int[threads + 1];
        for (int i = 0; i < threads; i++) {
            start[i + 1] = start[i] + b / threads + (i < b % threads ? 1 : 0);
        }
        if (grads.isEmpty() || grads.get(0).length() != grad.length() || grads.get(0).dataType() != grad.dataType()) {
            grads.clear();
            for (int i = 0; i < threads; i++) {
                grads.add(Nd4j.create(grad.dataType(), grad.length()));
            }
        }
        List<Future<RecurrentNetwork.Result>> futures = new ArrayList<>();
        for (int i = 1; i < threads; i++) {
            int chunk = i;
            futures.add(pool.submit(() -> nets.get(chunk).lossAndGradient(theta,
                    slice(batch, start[chunk], start[chunk + 1]), grads.get(chunk), probes)));
        }
        List<RecurrentNetwork.Result> results = new ArrayList<>();
        results.add(nets.get(0).lossAndGradient(theta, slice(batch, 0, start[1]), grads.get(0), probes));
        for (Future<RecurrentNetwork.Result> f : futures) {
            try {
                results.add(f.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while a chunk was training", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("a chunk failed: " + e.getCause(), e.getCause());
            }
        }
        // ∂L/∂θ = Σ_i (B_i / B)·∂L_i/∂θ, added in chunk order.
        grad.assign(grads.get(0)).muli((double) start[1] / b);
        for (int i = 1; i < threads; i++) {
            grad.addi(grads.get(i).muli((double) (start[i + 1] - start[i]) / b));
        }
        double[] seqLosses = new double[b];
        for (int i = 0; i < threads; i++) {
            double[] part = results.get(i).sequenceLosses();
            System.arraycopy(part, 0, seqLosses, start[i], part.length);
        }
        double loss = 0;
        for (double l : seqLosses) {
            loss += l;
        }
        return new RecurrentNetwork.Result(loss / b, seqLosses, merge(results, b, batch.steps()));
    }

    /** The chunks' per-sequence probes [B_i, T], stacked by rows into [B, T]; null when none were recorded. */
    private static ProbeValues merge(List<RecurrentNetwork.Result> results, int b, int t) {
        ProbeValues first = results.get(0).probes();
        if (first == null) {
            return null;
        }
        Map<Probe, double[]> values = new EnumMap<>(Probe.class);
        for (Probe p : first.values().keySet()) {
            double[] all = new double[b * t];
            int offset = 0;
            for (RecurrentNetwork.Result r : results) {
                double[] part = r.probes().get(p);
                System.arraycopy(part, 0, all, offset, part.length);
                offset += part.length;
            }
            values.put(p, all);
        }
        return new ProbeValues(b, t, first.lastLossStep(), values);
    }

    /** Sequences [from, to) of a time-major batch, as a batch of their own. */
    static SequenceBatch slice(SequenceBatch batch, int from, int to) {
        int t = batch.steps();
        int b = batch.batchSize();
        int in = batch.inputSize();
        int o = batch.outputSize();
        int n = to - from;
        double[] x = new double[t * n * in];
        double[] y = new double[t * n * o];
        for (int s = 0; s < t; s++) {
            System.arraycopy(batch.inputs(), (s * b + from) * in, x, s * n * in, n * in);
            System.arraycopy(batch.targets(), (s * b + from) * o, y, s * n * o, n * o);
        }
        return new SequenceBatch(t, n, in, o, x, y, batch.supervision());
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
