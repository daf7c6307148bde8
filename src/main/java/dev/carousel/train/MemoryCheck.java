package dev.carousel.train;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigError;
import dev.carousel.config.SizeLimits;
import dev.carousel.data.Supervision;
import dev.carousel.nn.MemoryEstimate;
import dev.carousel.nn.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.bytedeco.javacpp.Pointer;

/**
 * Whether a run fits this JVM before it starts: every array within int indexing ({@link SizeLimits}, checked
 * again here because a file dataset's I, O and T are known only once it is read), and the memory one training
 * network needs ({@link MemoryEstimate}: its workspace, θ, ∂θ and optimiser state, a validation network of up to
 * {@link LocalSteps#EVAL_BATCH} sequences; on the heap the batches, step blocks, probes and Java copies of θ and
 * the optimiser's two moments) against the JVM's limits: the heap ({@link Runtime#maxMemory()}), JavaCPP's
 * off-heap limit ({@link Pointer#maxBytes()}) and its limit on the whole process ({@link Pointer#maxPhysicalBytes()};
 * 0 means none). It is a lower bound: several partitions training at once in one JVM need one network each.
 */
public final class MemoryCheck {

    /**
     * The limits a run is checked against, in bytes.
     *
     * @param heap     the JVM's maximum heap
     * @param offHeap  JavaCPP's off-heap limit (0: none)
     * @param physical JavaCPP's limit on the process's physical memory (0: none)
     */
    public record Limits(long heap, long offHeap, long physical) {
        /** This JVM's limits. */
        public static Limits ofThisJvm() {
            return new Limits(Runtime.getRuntime().maxMemory(), Pointer.maxBytes(), Pointer.maxPhysicalBytes());
        }
    }

    /**
     * What a run needs, in bytes.
     *
     * @param heap    Java arrays: batches, step blocks, probe arrays, θ and the optimiser's moments
     * @param offHeap ND4J arrays: the training and validation networks' workspaces, θ, ∂θ and optimiser state
     */
    public record Need(long heap, long offHeap) {}

    private MemoryCheck() {}

    /**
     * Refuses {@code setup} with a one-line {@link ConfigError}, starting with {@code source} (the config file), if
     * it cannot run in this JVM.
     */
    public static void require(String source, RunSetup setup) {
        problem(setup, Limits.ofThisJvm()).ifPresent(p -> {
            throw new ConfigError(source + ": " + p);
        });
    }

    /** Why {@code setup} cannot run within {@code limits}, if it cannot. */
    public static Optional<String> problem(RunSetup setup, Limits limits) {
        CarouselConfig c = setup.config();
        ModelSpec spec = setup.spec();
        int b = c.training().batchSize();
        int t = setup.sequenceLength();
        String keys = setup.files() == null ? SizeLimits.sizeKeys(c)
                : "data.path = \"" + c.data().path() + "\" (T, I and O of the data), model.hidden = "
                + c.model().hidden() + ", training.batch-size = " + b;
        Optional<String> arrays = SizeLimits.arrayProblem(keys, spec, b, t);
        if (arrays.isPresent()) {
            return arrays;
        }
        Need need = need(setup);
        List<String> over = new ArrayList<>();
        if (limits.offHeap() > 0 && need.offHeap() > limits.offHeap()) {
            over.add(String.format(Locale.ROOT, "%s off-heap against JavaCPP's limit of %s (maxBytes)",
                    gib(need.offHeap()), gib(limits.offHeap())));
        }
        if (need.heap() > limits.heap()) {
            over.add(String.format(Locale.ROOT, "%s of heap against the JVM's %s (-Xmx, CAROUSEL_HEAP)",
                    gib(need.heap()), gib(limits.heap())));
        }
        long total = need.heap() + need.offHeap();
        if (over.isEmpty() && limits.physical() > 0 && total > limits.physical()) {
            over.add(String.format(Locale.ROOT, "%s in all against JavaCPP's limit of %s (maxPhysicalBytes)",
                    gib(total), gib(limits.physical())));
        }
        if (over.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "%s: one training network needs at least %s (%s); expected a "
                        + "smaller model.hidden, task.length or training.batch-size, or more memory "
                        + "(CAROUSEL_HEAP, -Dorg.bytedeco.javacpp.maxBytes, -Dorg.bytedeco.javacpp.maxPhysicalBytes)",
                keys, String.join(" and ", over), SizeLimits.dimensions(spec, b, t)));
    }

    /** The bytes {@code setup} needs; call only when its arrays fit int indexing (their sizes then fit a long). */
    public static Need need(RunSetup setup) {
        ModelSpec spec = setup.spec();
        int b = setup.config().training().batchSize();
        int t = setup.sequenceLength();
        Supervision supervision = setup.files() != null ? setup.files().supervision() : setup.task().supervision();
        int lossSteps = supervision.steps().length;
        int bEval = (int) Math.min(LocalSteps.EVAL_BATCH, setup.validationSize());
        long offHeap = Math.addExact(MemoryEstimate.offHeapBytes(spec, b, t, lossSteps),
                MemoryEstimate.evaluationOffHeapBytes(spec, bEval, t, lossSteps));
        long validationBatch = 8L * t * bEval * (spec.inputSize() + spec.outputSize());
        long moments = 3 * 8L * spec.layout().count(); // θ, m and v as Java arrays between driver and partitions
        long heap = MemoryEstimate.heapBytes(spec, b, t) + validationBatch + moments;
        return new Need(heap, offHeap);
    }

    private static String gib(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
