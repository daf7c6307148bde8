package dev.carousel.optim;

import dev.carousel.config.CarouselConfig;

/** Builds the {@link Optimizer} a run configuration asks for. */
public final class Optimizers {

    private Optimizers() {}

    /**
     * Reads only the hyperparameters of the chosen kind (SGD: learningRate, momentum; ADAM: learningRate,
     * beta1, beta2, epsilon; RMSPROP: learningRate, rho, epsilon). {@code clipNorm} is not an optimiser
     * setting: the training loop passes it to {@link GradientClipping#clipByGlobalNorm}.
     *
     * @throws IllegalArgumentException if a used hyperparameter is out of range
     */
    public static Optimizer create(CarouselConfig.Optimizer cfg) {
        return switch (cfg.kind()) {
            case SGD -> new Sgd(cfg.learningRate(), cfg.momentum());
            case ADAM -> new Adam(cfg.learningRate(), cfg.beta1(), cfg.beta2(), cfg.epsilon());
            case RMSPROP -> new RmsProp(cfg.learningRate(), cfg.rho(), cfg.epsilon());
        };
    }
}
