package dev.carousel.train;

import dev.carousel.data.SequenceBatch;
import dev.carousel.nn.Probe;
import dev.carousel.nn.RecurrentNetwork;
import dev.carousel.nn.SplitBatchNetwork;
import dev.carousel.optim.FlatVector;
import dev.carousel.optim.GradientClipping;
import dev.carousel.optim.Optimizer;
import dev.carousel.optim.OptimizerState;
import dev.carousel.optim.Optimizers;
import dev.carousel.stats.StepStats;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The inner loop shared by the local trainer and every Spark partition: a run of minibatch steps
 * (forward, backward with probes when due, clip, update) on one shard, starting from given parameters
 * and optimiser state. Because both trainers call exactly this code, one Spark partition reproduces the
 * local trainer bit for bit. Holds a network and its buffers: not thread-safe, one per thread (which may use more
 * cores through a {@link SplitBatchNetwork}).
 */
public final class LocalSteps implements AutoCloseable {
    /** Validation runs in batches of at most this many sequences. */
    static final int EVAL_BATCH = 250;

    private final RunSetup setup;
    private final RecurrentNetwork net;
    /** The pass split across the task's cores, or null for one thread. */
    private final SplitBatchNetwork split;
    private final Optimizer optimizer;
    private final Set<Probe> probes;
    private INDArray grad;
    /** θ and optimiser state before the update in progress, to undo an update that made either non-finite. */
    private INDArray thetaBefore;
    private OptimizerState stateBefore;
    /** A second network, so validation's batch shape never evicts the training buffers. */
    private RecurrentNetwork evalNet;

    public LocalSteps(RunSetup setup) {
        this(setup, 1);
    }

    /**
     * Steps for a thread that may use {@code threads} cores (a Spark task's {@code spark.task.cpus}): each training
     * pass is split across them by sequences ({@link SplitBatchNetwork}) where that pays and no probe asks for the
     * whole batch at once (dwh_step); else one thread. Results depend on whether it splits, and are bit-identical for
     * given (config, threads).
     */
    public LocalSteps(RunSetup setup, int threads) {
        this.setup = setup;
        this.net = new RecurrentNetwork(setup.spec());
        this.optimizer = Optimizers.create(setup.config().optimizer());
        this.probes = probeSet(setup);
        this.split = SplitBatchNetwork.pays(setup.spec(), setup.config().training().batchSize(), threads)
                && !probes.contains(Probe.DWH_STEP) ? new SplitBatchNetwork(setup.spec(), threads) : null;
    }

    /** The threads a training pass runs on: 1, or the task's cores when the batch is split. */
    public int threads() {
        return split == null ? 1 : split.threads();
    }

    /** One forward and backward pass, on one thread or split. */
    private RecurrentNetwork.Result pass(INDArray theta, SequenceBatch batch, Set<Probe> record) {
        return split != null && batch.batchSize() >= split.threads()
                ? split.lossAndGradient(theta, batch, grad, record)
                : net.lossAndGradient(theta, batch, grad, record);
    }

    /** Stops the split's threads, if any. */
    @Override
    public void close() {
        if (split != null) {
            split.close();
        }
    }

    public RunSetup setup() {
        return setup;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** The probes recorded for this model (empty when probes are disabled). */
    public Set<Probe> probes() {
        return probes;
    }

    /**
     * What a run of steps did.
     *
     * @param losses     batch loss of each applied update, in order: [steps]
     * @param gradNorms  pre-clip global gradient norm of each applied update: [steps]
     * @param stats      per-step statistics of the updates at which probes were due, keyed by update
     * @param divergedAt the update whose loss or gradient was not finite, or whose result (θ or optimiser
     *                   state) was not; it is not applied (undone in the second case), or −1
     */
    public record Outcome(double[] losses, double[] gradNorms, SortedMap<Long, StepStats> stats, long divergedAt) {
        public int steps() {
            return losses.length;
        }
    }

    /**
     * Applies up to {@code steps} updates to {@code theta} and {@code state} in place, using batches
     * {@code firstUpdate, firstUpdate + 1, …} of {@code source}; stops at the first update whose loss or
     * gradient norm is not finite, or that leaves a NaN/Inf in θ or the optimiser state (e.g. an overflow
     * in the optimiser's arithmetic). That update is not applied: {@code theta} and {@code state} are
     * left as the previous update made them, so a diverging update can never reach an average.
     */
    public Outcome run(INDArray theta, OptimizerState state, BatchSource source, long firstUpdate, int steps) {
        ensureGradient(theta);
        double[] losses = new double[steps];
        double[] norms = new double[steps];
        SortedMap<Long, StepStats> stats = new TreeMap<>();
        int every = setup.config().probes().every();
        for (int k = 0; k < steps; k++) {
            long update = firstUpdate + k;
            SequenceBatch batch = source.batch(update);
            boolean probeNow = !probes.isEmpty() && update % every == 0;
            RecurrentNetwork.Result r = pass(theta, batch, probeNow ? probes : Set.of());
            if (probeNow) {
                stats.put(update, statsOf(r, batch.steps()));
            }
            double norm = GradientClipping.clipByGlobalNorm(grad, setup.config().optimizer().clipNorm());
            if (!Double.isFinite(r.loss()) || !Double.isFinite(norm)) {
                return new Outcome(Arrays.copyOf(losses, k), Arrays.copyOf(norms, k), stats, update);
            }
            save(theta, state);
            optimizer.update(theta, grad, state);
            if (!finite(theta, state)) {
                FlatVector.copy(thetaBefore, theta);
                state.copyFrom(stateBefore);
                return new Outcome(Arrays.copyOf(losses, k), Arrays.copyOf(norms, k), stats, update);
            }
            losses[k] = r.loss();
            norms[k] = norm;
        }
        return new Outcome(losses, norms, stats, -1);
    }

    /** Probes {@code theta} on one batch without updating: the statistics of the final parameters. */
    public StepStats probe(INDArray theta, SequenceBatch batch) {
        ensureGradient(theta);
        return statsOf(pass(theta, batch, probes), batch.steps());
    }

    /** Sums of loss and metric (each weighted by sequence count) over held-out sequences [first, first + count). */
    public double[] validate(INDArray theta, long first, long count) {
        double lossSum = 0;
        double metricSum = 0;
        for (long start = first; start < first + count; start += EVAL_BATCH) {
            int n = (int) Math.min(EVAL_BATCH, first + count - start);
            RecurrentNetwork.Evaluation e = evalNet().evaluate(theta, setup.validationBatch(start, n));
            lossSum += e.loss() * n;
            metricSum += e.metric() * n;
        }
        return new double[] {lossSum, metricSum};
    }

    private RecurrentNetwork evalNet() {
        if (evalNet == null) {
            evalNet = new RecurrentNetwork(setup.spec());
        }
        return evalNet;
    }

    /** The gradient buffer, [P] like θ, allocated once and reused by every step. */
    private void ensureGradient(INDArray theta) {
        if (grad == null || grad.length() != theta.length() || grad.dataType() != theta.dataType()) {
            grad = Nd4j.create(theta.dataType(), theta.length());
        }
    }

    /** Copies θ and the state into the undo buffers (allocated on first use, and when the shape changes). */
    private void save(INDArray theta, OptimizerState state) {
        if (thetaBefore == null || thetaBefore.length() != theta.length() || thetaBefore.dataType() != theta.dataType()) {
            thetaBefore = theta.ulike();
        }
        FlatVector.copy(theta, thetaBefore);
        if (stateBefore == null || !stateBefore.names().equals(state.names())
                || (!state.names().isEmpty() && !compatible(stateBefore.get(state.names().get(0)), theta))) {
            stateBefore = state.copy();
        } else {
            stateBefore.copyFrom(state);
        }
    }

    private static boolean compatible(INDArray buffer, INDArray theta) {
        return buffer.length() == theta.length() && buffer.dataType() == theta.dataType();
    }

    /** True if θ and every optimiser buffer hold only finite values. */
    static boolean finite(INDArray theta, OptimizerState state) {
        if (!FlatVector.allFinite(theta)) {
            return false;
        }
        for (String name : state.names()) {
            if (!FlatVector.allFinite(state.get(name))) {
                return false;
            }
        }
        return true;
    }

    private StepStats statsOf(RecurrentNetwork.Result r, int steps) {
        StepStats stats = new StepStats(steps, probes);
        stats.record(r.probes());
        return stats;
    }

    static Set<Probe> probeSet(RunSetup setup) {
        Set<Probe> set = EnumSet.noneOf(Probe.class);
        if (setup.config().probes().enabled()) {
            for (Probe p : setup.config().probes().set()) {
                if (p.appliesTo(setup.spec().cell())) {
                    set.add(p);
                }
            }
        }
        return set;
    }
}
