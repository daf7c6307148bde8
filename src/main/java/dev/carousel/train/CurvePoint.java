package dev.carousel.train;

/**
 * One point of a training curve, taken at an evaluation.
 *
 * @param update           optimiser updates applied so far (0 = at initialisation)
 * @param sequencesSeen    training sequences consumed so far (older papers count these, not updates)
 * @param trainLoss        mean training-batch loss over the updates since the previous point (NaN at 0)
 * @param validationLoss   loss on the held-out split
 * @param validationMetric task metric on the held-out split (MSE, or accuracy over loss steps)
 * @param gradNorm         mean pre-clip global gradient norm over the updates since the previous point
 */
public record CurvePoint(long update, long sequencesSeen, double trainLoss, double validationLoss,
                         double validationMetric, double gradNorm)
        implements java.io.Serializable {}
