package dev.carousel.train;

import dev.carousel.config.CarouselConfig;
import dev.carousel.data.SequenceBatch;
import dev.carousel.nn.Probe;
import dev.carousel.nn.RecurrentNetwork;
import dev.carousel.optim.GradientClipping;
import dev.carousel.optim.Optimizer;
import dev.carousel.optim.OptimizerState;
import dev.carousel.optim.Optimizers;
import dev.carousel.stats.StepStats;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trains one config on one JVM: minibatch k is sequence block k of the training stream, so a run is a
 * pure function of its config. Records the curve at every evaluation and per-step gradient statistics
 * at initialisation, every {@code probes.every} updates, and for the final parameters.
 */
public final class LocalTrainer {
    /** Validation runs in batches of at most this many sequences. */
    static final int EVAL_BATCH = 250;

    private final RunSetup setup;
    private final CarouselConfig config;
    private final RecurrentNetwork trainNet;
    private final RecurrentNetwork evalNet;

    public LocalTrainer(RunSetup setup) {
        this.setup = setup;
        this.config = setup.config();
        this.trainNet = new RecurrentNetwork(setup.spec());
        this.evalNet = new RecurrentNetwork(setup.spec());
    }

    public static TrainResult train(CarouselConfig config, TrainingListener listener) {
        return new LocalTrainer(RunSetup.of(config)).run(listener);
    }

    public TrainResult run(TrainingListener listener) {
        long start = System.nanoTime();
        CarouselConfig.Training tc = config.training();
        INDArray theta = setup.initialParameters();
        INDArray grad = Nd4j.create(theta.dataType(), theta.length());
        Optimizer optimizer = Optimizers.create(config.optimizer());
        OptimizerState state = optimizer.newState(theta);
        Set<Probe> probes = probeSet();
        SortedMap<Long, StepStats> stats = new TreeMap<>();
        List<CurvePoint> curve = new ArrayList<>();

        curve.add(evaluate(theta, 0, Double.NaN, Double.NaN));
        boolean go = listener.onEvaluation(curve.get(0), tc.updates());
        RunStatus status = RunStatus.COMPLETED;
        long divergedAt = -1;
        long update = 0;
        double lossSum = 0;
        double normSum = 0;
        int window = 0;
        while (go && update < tc.updates()) {
            SequenceBatch batch = setup.trainingBatch(0, update);
            boolean probeNow = !probes.isEmpty() && update % config.probes().every() == 0;
            RecurrentNetwork.Result r = trainNet.lossAndGradient(theta, batch, grad, probeNow);
            if (probeNow) {
                stats.put(update, statsOf(r, probes, batch.steps()));
            }
            double norm = GradientClipping.clipByGlobalNorm(grad, config.optimizer().clipNorm());
            if (!Double.isFinite(r.loss()) || !Double.isFinite(norm)) {
                status = RunStatus.DIVERGED;
                divergedAt = update;
                break;
            }
            optimizer.update(theta, grad, state);
            update++;
            lossSum += r.loss();
            normSum += norm;
            window++;
            if (update % tc.evalEvery() == 0 || update == tc.updates()) {
                CurvePoint point = evaluate(theta, update, lossSum / window, normSum / window);
                curve.add(point);
                lossSum = 0;
                normSum = 0;
                window = 0;
                if (!Double.isFinite(point.validationLoss())) {
                    status = RunStatus.DIVERGED;
                    divergedAt = update;
                    break;
                }
                go = listener.onEvaluation(point, tc.updates());
                if (!go) {
                    status = RunStatus.STOPPED;
                }
            }
        }
        if (status != RunStatus.DIVERGED && window > 0) { // a stop between evaluations still ends on a point
            curve.add(evaluate(theta, update, lossSum / window, normSum / window));
        }
        if (status != RunStatus.DIVERGED && !probes.isEmpty() && !stats.containsKey(update)) {
            // Probe the final parameters on the next training batch, without updating.
            SequenceBatch batch = setup.trainingBatch(0, update);
            stats.put(update, statsOf(trainNet.lossAndGradient(theta, batch, grad, true), probes, batch.steps()));
        }
        double wall = (System.nanoTime() - start) / 1e9;
        return new TrainResult(config, theta, state, curve, stats, status, update, divergedAt, wall);
    }

    private Set<Probe> probeSet() {
        Set<Probe> set = EnumSet.noneOf(Probe.class);
        if (config.probes().enabled()) {
            for (Probe p : Probe.values()) {
                if (p.appliesTo(setup.spec().cell())) {
                    set.add(p);
                }
            }
        }
        return set;
    }

    private static StepStats statsOf(RecurrentNetwork.Result r, Set<Probe> probes, int steps) {
        StepStats stats = new StepStats(steps, probes);
        stats.record(r.probes());
        return stats;
    }

    /** Loss and metric on the configured number of held-out sequences. */
    private CurvePoint evaluate(INDArray theta, long update, double trainLoss, double gradNorm) {
        int total = config.task().validationSequences();
        double lossSum = 0;
        double metricSum = 0;
        for (int first = 0; first < total; first += EVAL_BATCH) {
            int count = Math.min(EVAL_BATCH, total - first);
            RecurrentNetwork.Evaluation e = evalNet.evaluate(theta, setup.validationBatch(first, count));
            lossSum += e.loss() * count;
            metricSum += e.metric() * count;
        }
        long seen = update * config.training().batchSize();
        return new CurvePoint(update, seen, trainLoss, lossSum / total, metricSum / total, gradNorm);
    }
}
