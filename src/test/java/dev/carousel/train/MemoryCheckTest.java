package dev.carousel.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.MemoryEstimate;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The memory check of a run against given limits: what it counts and how it says a run does not fit. */
class MemoryCheckTest {
    private static final long GIB = 1L << 30;

    private static RunSetup setup(String hocon) {
        return RunSetup.of(ConfigLoader.parse(hocon, "test.conf"));
    }

    @Test
    void countsTheTrainingAndValidationNetworksOffHeap() {
        RunSetup s = setup("model.hidden = 64\ntask.length = 100\ntraining.batch-size = 16");
        MemoryCheck.Need need = MemoryCheck.need(s);
        // 1000 validation sequences: the validation network evaluates them 250 at a time (LocalSteps.EVAL_BATCH).
        assertEquals(MemoryEstimate.offHeapBytes(s.spec(), 16, 100, 1)
                + MemoryEstimate.evaluationOffHeapBytes(s.spec(), 250, 100, 1), need.offHeap());
        assertTrue(need.heap() > MemoryEstimate.heapBytes(s.spec(), 16, 100), "batches, θ and moments on the heap");
        assertEquals(Optional.empty(), MemoryCheck.problem(s, new MemoryCheck.Limits(GIB, GIB, 2 * GIB)));
    }

    @Test
    void refusesARunOverTheOffHeapLimitNamingTheKeysAndTheLimit() {
        RunSetup s = setup("model.hidden = 1000\ntask.length = 2000");
        String p = MemoryCheck.problem(s, new MemoryCheck.Limits(4 * GIB, 4 * GIB, 8 * GIB)).orElseThrow();
        assertTrue(p.startsWith("model.hidden = 1000, task.length = 2000, training.batch-size = 32: one training "
                + "network needs at least "), p);
        assertTrue(p.contains("GiB off-heap against JavaCPP's limit of 4.0 GiB (maxBytes)"), p);
        assertTrue(p.contains("(T = 2000, B = 32, I = 2, H = 1000, G = 4000, O = 1)"), p);
    }

    @Test
    void refusesARunOverTheHeapOrTheProcessLimit() {
        RunSetup s = setup("model.hidden = 64\ntask.length = 100");
        assertTrue(MemoryCheck.problem(s, new MemoryCheck.Limits(1 << 20, 0, 0)).orElseThrow()
                .contains("MiB of heap against the JVM's 1.0 MiB (-Xmx, CAROUSEL_HEAP)"));
        long offHeap = MemoryCheck.need(s).offHeap();
        assertTrue(MemoryCheck.problem(s, new MemoryCheck.Limits(GIB, offHeap, offHeap)).orElseThrow()
                .contains("in all against JavaCPP's limit of"));
    }
}
