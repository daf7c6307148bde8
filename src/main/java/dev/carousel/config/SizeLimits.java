package dev.carousel.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigOrigin;
import dev.carousel.data.SequenceTask;
import dev.carousel.data.Tasks;
import dev.carousel.nn.MemoryEstimate;
import dev.carousel.nn.ModelSpec;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The check across the keys that size a run (model.hidden, task.length, training.batch-size, with the task's or
 * the data's I and O): every array the run allocates must fit int indexing, {@link MemoryEstimate#largestArray}
 * at most {@link MemoryEstimate#MAX_ARRAY_ELEMENTS} elements. Each key alone has its documented range; their
 * product does not, so without this check in-range values such as model.hidden = 65536 with task.length =
 * 100000 overflow an int deep inside training. The check is exact arithmetic in long and refuses such a config
 * before any work, in one line naming the keys and the limit. Whether the run fits this JVM's memory is
 * {@code train.MemoryCheck}'s question, asked where the run starts (it depends on the machine, this does not).
 */
public final class SizeLimits {
    /** The keys that set the sizes of a run's arrays, in the order they are named. */
    static final List<String> SIZE_KEYS = List.of("model.hidden", "task.length", "training.batch-size");

    private SizeLimits() {}

    /**
     * Refuses a generated-task config whose largest array holds more than int indexing allows; the error names
     * the origin of the size key the user set last (an override over the file over the defaults).
     */
    static void check(CarouselConfig c, Config merged) {
        if (!c.data().isGenerated()) {
            return; // a file dataset's I, O and T are known when it is read: train.MemoryCheck checks then
        }
        SequenceTask task = Tasks.create(c.task().name(), c.task().length());
        ModelSpec spec = spec(c, task.inputSize(), task.outputSize());
        arrayProblem(sizeKeys(c), spec, c.training().batchSize(), task.sequenceLength()).ifPresent(problem -> {
            throw new ConfigError(ConfigError.where(userOrigin(merged)) + ": " + problem);
        });
    }

    /** The model a config builds for inputs of width {@code inputSize} and targets of width {@code outputSize}. */
    public static ModelSpec spec(CarouselConfig c, int inputSize, int outputSize) {
        CarouselConfig.Model m = c.model();
        return new ModelSpec(m.cell(), inputSize, m.hidden(), outputSize, m.forgetGate(), m.precision());
    }

    /** "model.hidden = 65536, task.length = 100000, training.batch-size = 32": the size keys and their values. */
    public static String sizeKeys(CarouselConfig c) {
        return "model.hidden = " + c.model().hidden() + ", task.length = " + c.task().length()
                + ", training.batch-size = " + c.training().batchSize();
    }

    /**
     * Why a network of {@code spec}, batch {@code b} and T = {@code t} cannot be allocated, if it cannot: its largest
     * array with shape, dimensions and element count against the limit, after {@code keys} (the keys that set
     * the sizes, as the caller names them).
     */
    public static Optional<String> arrayProblem(String keys, ModelSpec spec, int b, int t) {
        MemoryEstimate.Array largest = MemoryEstimate.largestArray(spec, b, t);
        if (largest.elements() <= MemoryEstimate.MAX_ARRAY_ELEMENTS) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "%s: the %s %s would hold %,d elements (%s), more than the "
                        + "%,d one array can index; expected a smaller %s", keys, largest.name(), largest.shape(),
                largest.elements(), dimensions(spec, b, t), MemoryEstimate.MAX_ARRAY_ELEMENTS,
                "model.hidden, task.length or training.batch-size"));
    }

    /** "T = 100000, B = 32, I = 2, H = 65536, G = 262144, O = 1": the symbols of the shapes in errors. */
    public static String dimensions(ModelSpec spec, int b, int t) {
        return String.format(Locale.ROOT, "T = %d, B = %d, I = %d, H = %d, G = %d, O = %d",
                t, b, spec.inputSize(), spec.hidden(), spec.gateWidth(), spec.outputSize());
    }

    /** The origin of the size key set last by the user: an override, else the file, else the defaults. */
    private static ConfigOrigin userOrigin(Config merged) {
        List<ConfigOrigin> origins = SIZE_KEYS.stream().map(k -> merged.getValue(k).origin()).toList();
        return origins.stream().filter(o -> o.description().startsWith(ConfigLoader.OVERRIDE_ORIGIN)).findFirst()
                .or(() -> origins.stream().filter(o -> !o.description().contains(ConfigLoader.DEFAULTS_RESOURCE))
                        .findFirst())
                .orElse(origins.get(0));
    }
}
