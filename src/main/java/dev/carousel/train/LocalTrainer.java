package dev.carousel.train;

import dev.carousel.config.CarouselConfig;
import dev.carousel.optim.OptimizerState;
import dev.carousel.stats.StepStats;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Trains one config on one JVM: minibatch k is sequence block k of the training stream, so a run is a
 * pure function of its config. Records the curve at every evaluation and per-step gradient statistics
 * at initialisation, every {@code probes.every} updates, and for the final parameters.
 */
public final class LocalTrainer {
    private final RunSetup setup;
    private final CarouselConfig config;
    private final LocalSteps steps;

    public LocalTrainer(RunSetup setup) {
        this(setup, 1);
    }

    /** A trainer whose thread may use {@code threads} cores (a Spark task's cores; see {@link LocalSteps}). */
    public LocalTrainer(RunSetup setup, int threads) {
        this.setup = setup;
        this.config = setup.config();
        this.steps = new LocalSteps(setup, threads);
    }

    public static TrainResult train(CarouselConfig config, TrainingListener listener) {
        return new LocalTrainer(RunSetup.of(config)).run(listener);
    }

    /** Trains the run to its end (or its listener's stop); a trainer runs once. */
    public TrainResult run(TrainingListener listener) {
        try (steps) {
            return train(listener);
        }
    }

    private TrainResult train(TrainingListener listener) {
        long start = System.nanoTime();
        CarouselConfig.Training tc = config.training();
        INDArray theta = setup.initialParameters();
        OptimizerState state = steps.optimizer().newState(theta);
        BatchSource source = index -> setup.trainingBatch(0, index);
        SortedMap<Long, StepStats> stats = new TreeMap<>();
        List<CurvePoint> curve = new ArrayList<>();
        Window window = new Window();

        curve.add(evaluate(theta, 0, window));
        boolean go = listener.onEvaluation(curve.get(0), tc.updates());
        RunStatus status = RunStatus.COMPLETED;
        long divergedAt = -1;
        long update = 0;
        while (go && update < tc.updates()) {
            // Run to the next evaluation point (a multiple of eval-every, or the last update).
            int n = (int) Math.min(tc.evalEvery() - update % tc.evalEvery(), tc.updates() - update);
            LocalSteps.Outcome o = steps.run(theta, state, source, update, n);
            stats.putAll(o.stats());
            window.add(o.losses(), o.gradNorms());
            update += o.steps();
            if (o.divergedAt() >= 0) {
                status = RunStatus.DIVERGED;
                divergedAt = o.divergedAt();
                break;
            }
            CurvePoint point = evaluate(theta, update, window);
            curve.add(point);
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
        if (status != RunStatus.DIVERGED && !steps.probes().isEmpty() && !stats.containsKey(update)) {
            stats.put(update, steps.probe(theta, source.batch(update))); // the final parameters, not updated
        }
        double wall = (System.nanoTime() - start) / 1e9;
        return new TrainResult(config, theta, state, curve, stats, status, update, divergedAt, wall, List.of()); // no rounds
    }

    /** Loss and metric on the configured number of held-out sequences; closes the training window. */
    private CurvePoint evaluate(INDArray theta, long update, Window window) {
        int total = config.task().validationSequences();
        double[] sums = steps.validate(theta, 0, total);
        return window.close(update, config.training().batchSize(), sums[0] / total, sums[1] / total);
    }

    /**
     * Training loss and gradient norm accumulated, update by update in order, between two evaluations.
     * The distributed trainer keeps the same sums in the same order, which keeps curves bit-identical.
     */
    public static final class Window {
        private double lossSum;
        private double normSum;
        private int count;

        public Window() {}

        /** A window restored from a checkpoint's {@link #sums()}. */
        public Window(double[] sums) {
            lossSum = sums[0];
            normSum = sums[1];
            count = (int) sums[2];
        }

        /** {loss sum, norm sum, count}: enough to resume the window exactly. */
        public double[] sums() {
            return new double[] {lossSum, normSum, count};
        }

        public void add(double[] losses, double[] norms) {
            for (int k = 0; k < losses.length; k++) {
                lossSum += losses[k];
                normSum += norms[k];
                count++;
            }
        }

        /** The curve point at {@code update}, and a fresh window. */
        public CurvePoint close(long update, int batchSize, double validationLoss, double validationMetric) {
            CurvePoint p = new CurvePoint(update, update * batchSize, count == 0 ? Double.NaN : lossSum / count,
                    validationLoss, validationMetric, count == 0 ? Double.NaN : normSum / count);
            lossSum = 0;
            normSum = 0;
            count = 0;
            return p;
        }
    }
}
