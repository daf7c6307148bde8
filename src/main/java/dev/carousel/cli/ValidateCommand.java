package dev.carousel.cli;

import com.typesafe.config.ConfigRenderOptions;
import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.CellType;
import dev.carousel.train.RunSetup;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Checks a config and prints what it resolves to and what it would cost, running nothing. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a config, print the resolved config, its hash, model size and estimated work; run nothing.")
final class ValidateCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() {
        CarouselConfig c = config.load();
        if (!c.data().isGenerated()) {
            System.out.println(ConfigLoader.toConfig(c).root().render(ConfigRenderOptions.defaults().setOriginComments(false)
                    .setJson(false)).trim());
            System.out.printf(Locale.ROOT, "%nconfig %s is valid; its %s dataset at %s is read and validated when training starts%n",
                    ConfigLoader.hash(c), c.data().format(), c.data().path());
            return 0;
        }
        RunSetup setup = RunSetup.of(c);
        System.out.println(ConfigLoader.toConfig(c).root().render(ConfigRenderOptions.defaults().setOriginComments(false)
                .setJson(false)).trim());
        long params = setup.spec().layout().count();
        double flops = flopsPerUpdate(setup);
        System.out.printf(Locale.ROOT, "%nconfig %s is valid%n  %s%n  sequence length %d, %d parameters%n"
                        + "  ~%.3g GFLOP per update (matrix products only), ~%.3g GFLOP for %d updates%n",
                ConfigLoader.hash(c), setup.describe(), setup.task().sequenceLength(), params, flops / 1e9,
                flops * c.training().updates() / 1e9, c.training().updates());
        return 0;
    }

    /** 24·B·H·(I+H)·T for the LSTM (forward 8·B·H·(I+H) per step, backward twice that); a quarter for the RNN. */
    static double flopsPerUpdate(RunSetup setup) {
        double b = setup.config().training().batchSize();
        double h = setup.spec().hidden();
        double i = setup.spec().inputSize();
        double t = setup.task().sequenceLength();
        double lstm = 24 * b * h * (i + h) * t;
        return setup.spec().cell() == CellType.LSTM ? lstm : lstm / 4;
    }
}
