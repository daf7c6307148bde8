package dev.carousel.train;

import dev.carousel.config.CarouselConfig;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.SequenceTask;
import dev.carousel.data.Split;
import dev.carousel.data.Tasks;
import dev.carousel.nn.Initializer;
import dev.carousel.nn.ModelSpec;
import dev.carousel.util.Seeds;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The data, model shape and seeds a config implies. Every seed is derived from {@code config.seed()}
 * and a label, so any run (or any partition of it) can be regenerated alone.
 *
 * @param task  the generated task, or null when training on a file dataset
 * @param files the file dataset's shape and held-out sequences, or null for a generated task
 */
public record RunSetup(CarouselConfig config, SequenceTask task, FileData files, ModelSpec spec) {

    /** A run on the config's generated task. */
    public static RunSetup of(CarouselConfig config) {
        SequenceTask task = Tasks.create(config.task().name(), config.task().length());
        CarouselConfig.Model m = config.model();
        ModelSpec spec = new ModelSpec(m.cell(), task.inputSize(), m.hidden(), task.outputSize(),
                m.forgetGate(), m.precision());
        return new RunSetup(config, task, null, spec);
    }

    /** A run on a validated file dataset; the model's I and O come from the data. */
    public static RunSetup of(CarouselConfig config, FileData files) {
        if (files == null) {
            return of(config);
        }
        CarouselConfig.Model m = config.model();
        ModelSpec spec = new ModelSpec(m.cell(), files.inputSize(), m.hidden(), files.outputSize(), m.forgetGate(),
                m.precision());
        return new RunSetup(config, null, files, spec);
    }

    /** T of the data. */
    public int sequenceLength() {
        return files != null ? files.sequenceLength() : task.sequenceLength();
    }

    /** Number of held-out sequences validation scores. */
    public long validationSize() {
        return files != null ? files.heldOut().batchSize() : config.task().validationSequences();
    }

    /** Seed of the training and validation data streams. */
    public long dataSeed() {
        return Seeds.derive(config.seed(), Seeds.label("data"));
    }

    /** θ at initialisation: [P]. */
    public INDArray initialParameters() {
        return Initializer.initialize(spec, config.model().rnnGain(), config.model().recurrentInit(), Seeds.derive(config.seed(), Seeds.label("init")));
    }

    /** Training minibatch number {@code index} of a partition of the generated task. */
    public SequenceBatch trainingBatch(int partition, long index) {
        if (task == null) {
            throw new IllegalStateException("file datasets train from their shards, not from the setup");
        }
        return task.batch(dataSeed(), Split.TRAIN, partition, index, config.training().batchSize());
    }

    /** Held-out sequences [first, first + count) of the validation split (partition 0). */
    public SequenceBatch validationBatch(long first, int count) {
        if (files != null) {
            return files.slice(first, count);
        }
        int t = task.sequenceLength();
        SequenceBatch batch = new SequenceBatch(t, count, task.inputSize(), task.outputSize(),
                new double[Math.multiplyExact(Math.multiplyExact(t, count), task.inputSize())],
                new double[Math.multiplyExact(Math.multiplyExact(t, count), task.outputSize())],
                task.supervision());
        for (int b = 0; b < count; b++) {
            task.fill(dataSeed(), Split.VALIDATION, 0, first + b, batch, b);
        }
        return batch;
    }

    /** One-line description for logs and reports. */
    public String describe() {
        CarouselConfig.Model m = config.model();
        String gate = m.cell() == dev.carousel.nn.CellType.LSTM ? " forget=" + m.forgetGate().label() : " gain=" + m.rnnGain();
        String data = files != null ? config.data().format() + ":" + config.data().path() : task.name();
        return String.format("data=%s T=%d cell=%s%s H=%d optimizer=%s lr=%g batch=%d seed=%d",
                data, sequenceLength(), m.cell().name().toLowerCase(), gate, m.hidden(),
                config.optimizer().kind().name().toLowerCase(), config.optimizer().learningRate(),
                config.training().batchSize(), config.seed());
    }

}
