package dev.carousel.cli;

import dev.carousel.config.CarouselConfig;
import dev.carousel.data.SequenceBatch;
import dev.carousel.train.Checkpoint;
import dev.carousel.train.ProbeBundle;
import dev.carousel.nn.RecurrentNetwork;
import dev.carousel.store.Folders;
import dev.carousel.store.Storage;
import dev.carousel.train.MemoryCheck;
import dev.carousel.train.RunSetup;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * One forward and backward pass on one batch, at initialisation or from a checkpoint, written as
 * {@code .npy} files plus a JSON manifest (see {@link ProbeBundle}) so that anyone can check Carousel's
 * gradients and probes with another framework.
 */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = "Write one batch's inputs, parameters, gradients and per-step probes as .npy files + manifest.json.")
final class ProbeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "Probe the parameters of this checkpoint, a local path or a Hadoop URI (its config is used; "
                    + "give no CONFIG).")
    String checkpoint;

    @Option(names = "--batch-index", defaultValue = "0", description = "Which training minibatch to probe (default: ${DEFAULT-VALUE}).")
    long batchIndex;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "probe",
            description = "Output folder, a local path or a Hadoop URI (default: ${DEFAULT-VALUE}).")
    String out;

    @Override
    public Integer call() {
        CarouselConfig cfg;
        INDArray theta;
        String source;
        Configuration hadoop = Storage.hadoopConf();
        org.apache.hadoop.fs.Path target = Storage.resolve(out, "--out", hadoop);
        Storage.probe(target, "--out", hadoop);
        if (checkpoint != null) {
            if (config.file != null || !config.overrides.isEmpty()) {
                throw new IllegalArgumentException("--checkpoint carries its own config; give no CONFIG or --set with it");
            }
            org.apache.hadoop.fs.Path from = Storage.resolve(checkpoint, "--checkpoint", hadoop);
            if (!Storage.probe(from, "--checkpoint", hadoop) || !Folders.committed(from, hadoop)) {
                throw new IllegalArgumentException("checkpoint " + from + ": no such checkpoint directory");
            }
            Checkpoint ck = Folders.read(from, hadoop, Checkpoint::read);
            cfg = ck.config();
            theta = ck.parameters();
            source = "checkpoint " + (Folders.isLocal(from) ? Folders.local(from) : from) + " at update " + ck.update();
        } else {
            cfg = config.load();
            theta = null;
            source = "initialisation";
        }
        if (batchIndex < 0) {
            throw new IllegalArgumentException("--batch-index must be >= 0, got " + batchIndex);
        }
        if (!cfg.data().isGenerated()) {
            throw new IllegalArgumentException("probe works on generated tasks; data.format = " + cfg.data().format()
                    + " is not supported yet");
        }
        RunSetup setup = RunSetup.of(cfg);
        MemoryCheck.require(checkpoint != null ? checkpoint : config.file, setup);
        if (theta == null) {
            theta = setup.initialParameters();
        }
        SequenceBatch batch = setup.trainingBatch(0, batchIndex);
        RecurrentNetwork net = new RecurrentNetwork(setup.spec());
        INDArray grad = Nd4j.create(theta.dataType(), theta.length());
        RecurrentNetwork.Result result = net.lossAndGradient(theta, batch, grad, true);
        String from = source;
        INDArray params = theta;
        Folders.write(target, hadoop, s -> ProbeBundle.writeInto(s, setup, from, params, batch, result,
                net.trace(), grad));
        System.out.printf(Locale.ROOT, "probed %s at %s: batch loss %.6g over %d sequences x %d steps -> %s%n",
                setup.describe(), source, result.loss(), batch.batchSize(), batch.steps(),
                new org.apache.hadoop.fs.Path(target, "manifest.json"));
        return 0;
    }
}
