package dev.carousel.sweep;

import dev.carousel.config.CarouselConfig;
import dev.carousel.nn.CellType;
import dev.carousel.train.RunSetup;

/**
 * Estimated work of a run, counting matrix products only: 24·B·H·(I+H)·T FLOPs per update for the LSTM
 * (forward 8·B·H·(I+H) per step, backward twice that), a quarter of that for the tanh-RNN (one gate block
 * instead of four), times {@code training.updates}. I and O come from the task ({@link RunSetup#of}).
 */
public final class CostEstimate {
    private CostEstimate() {}

    /** FLOPs of one update of {@code setup}. */
    public static double flopsPerUpdate(RunSetup setup) {
        double b = setup.config().training().batchSize();
        double h = setup.spec().hidden();
        double i = setup.spec().inputSize();
        double t = setup.sequenceLength();
        double lstm = 24 * b * h * (i + h) * t;
        return setup.spec().cell() == CellType.LSTM ? lstm : lstm / 4;
    }

    /** FLOPs of one update of {@code config}; NaN for a file dataset, whose I and T are known only from the data. */
    public static double flopsPerUpdate(CarouselConfig config) {
        return config.data().isGenerated() ? flopsPerUpdate(RunSetup.of(config)) : Double.NaN;
    }

    /** FLOPs of the whole run: per update times {@code training.updates}; NaN for a file dataset. */
    public static double flops(CarouselConfig config) {
        return flopsPerUpdate(config) * config.training().updates();
    }
}
