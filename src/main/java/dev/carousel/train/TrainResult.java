package dev.carousel.train;

import dev.carousel.config.CarouselConfig;
import dev.carousel.optim.OptimizerState;
import dev.carousel.stats.StepStats;
import java.util.List;
import java.util.SortedMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one training run produced.
 *
 * @param parameters     θ after the last applied update: [P]
 * @param optimizerState the optimiser's state at the same point
 * @param curve          one point per evaluation, update 0 first
 * @param stepStats      per-step gradient statistics keyed by the update at which they were probed
 *                       (0 = at initialisation; the last key is the final parameters)
 * @param divergedAt     the update whose loss or gradient was not finite, or −1
 * @param roundTimings   per training round of the distributed trainer, where its wall time went (empty for the
 *                       local trainer); diagnostics only, never part of the results
 */
public record TrainResult(CarouselConfig config, INDArray parameters, OptimizerState optimizerState,
                          List<CurvePoint> curve, SortedMap<Long, StepStats> stepStats, RunStatus status,
                          long updates, long divergedAt, double wallSeconds, List<RoundTiming> roundTimings) {

    /** The last curve point (the final evaluation). */
    public CurvePoint last() {
        return curve.get(curve.size() - 1);
    }
}
