package dev.carousel.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The scaling model's arithmetic, against sums worked by hand and Spark's own treeAggregate loop. */
class ScalingModelTest {
    private static final double EPS = 1e-12;

    /** Spark's treeAggregate partition counts, worked through its loop by hand. */
    @ParameterizedTest(name = "n={0} depth={1}")
    @CsvSource(delimiter = ';', value = {
            "1; 2; ''", "5; 2; ''", "6; 2; 2", "128; 2; 10", "256; 2; 16", "256; 3; 36 5", "1000; 2; 31",
            "8; 1; ''", "32; 2; 5", "100; 4; 25 6"})
    void treeLevelsFollowSparksLoop(int n, int depth, String expected) {
        List<Integer> want = expected.isBlank() ? List.of()
                : java.util.Arrays.stream(expected.split(" ")).map(Integer::valueOf).toList();
        assertEquals(want, ScalingModel.treeLevels(n, depth));
    }

    @Test
    void generationsAreTheCeilingOfLog2OfNPlusOne() {
        int[][] cases = {{1, 1}, {2, 2}, {3, 2}, {4, 3}, {7, 3}, {8, 4}, {255, 8}, {256, 9}};
        for (int[] c : cases) {
            assertEquals(c[1], ScalingModel.generations(c[0]), "n = " + c[0]);
        }
    }

    /**
     * Six executors at depth 2: one merge level down to 2 partitions (fan-in 3), then 2 results to the driver.
     * scheduling 5 + 6·1 + (5 + 2·1) ms; broadcast g = 3: 3·0.1 ms + (1 MB + 2·1 MB) / 1 GB/s; a result costs
     * 2 MB / 1 GB/s + 2 MB · 1 ns = 4 ms; aggregation 0.1 + 3·4 + 0.1 + 2·4 ms; compute 100 + 10 ms.
     */
    @Test
    void aRoundAddsItsPartsAsWorkedByHand() {
        ScalingModel m = new ScalingModel(new ScalingModel.Round(0.1, 1, 0.01, 1_000_000, 2_000_000, 1e-9),
                new ScalingModel.Driver(0.005, 0.001, 0), new ScalingModel.Network(1e9, 1e-4), 2);
        ScalingModel.Breakdown b = m.at(6);
        assertEquals(1, b.levels());
        assertEquals(0.018, b.scheduling(), EPS);
        assertEquals(0.0033, b.broadcast(), EPS);
        assertEquals(0.0202, b.aggregation(), EPS);
        assertEquals(0.11, b.compute(), EPS);
        assertEquals(0.018 + 0.0033 + 0.0202 + 0.11, b.total(), EPS);
    }

    /** The driver's payload work comes once per round, not once per merge level's stage. */
    @Test
    void payloadWorkIsPaidOncePerRound() {
        ScalingModel.Round r = new ScalingModel.Round(0.1, 1, 0, 0, 0, 0);
        ScalingModel without = new ScalingModel(r, new ScalingModel.Driver(0.01, 0.001, 0),
                ScalingModel.Network.LOCAL, 2);
        ScalingModel with = new ScalingModel(r, new ScalingModel.Driver(0.01, 0.001, 0.05),
                ScalingModel.Network.LOCAL, 2);
        for (int n : new int[] {1, 6, 256}) {
            assertEquals(0.05, with.at(n).scheduling() - without.at(n).scheduling(), EPS, "n = " + n);
        }
        assertEquals(0.01 + 256 * 0.001 + 0.01 + 16 * 0.001, without.at(256).scheduling(), EPS); // one level: 16
    }

    /** A large input streams its blocks behind the first: only the first block pays every generation. */
    @Test
    void aLargeBroadcastPaysOneBlockPerExtraGeneration() {
        long in = 40L << 20;
        ScalingModel m = new ScalingModel(new ScalingModel.Round(0, 1, 0, in, 0, 0),
                new ScalingModel.Driver(0, 0, 0), new ScalingModel.Network(1e9, 0), 2);
        assertEquals(in / 1e9, m.at(1).broadcast(), EPS);
        assertEquals((in + 3.0 * ScalingModel.BLOCK_BYTES) / 1e9, m.at(8).broadcast(), EPS); // g = 4
    }

    /** Back to back: compute is paid per round, the rest once per job. */
    @Test
    void roundsBackToBackPayComputeEachAndTheRestOnce() {
        ScalingModel.Driver driver = new ScalingModel.Driver(0.02, 0.003, 0);
        ScalingModel one = new ScalingModel(new ScalingModel.Round(0.05, 1, 0.01, 1000, 2000, 1e-9), driver,
                ScalingModel.Network.LOCAL, 2);
        ScalingModel eight = new ScalingModel(new ScalingModel.Round(0.05, 8, 0.01, 1000, 2000, 1e-9), driver,
                ScalingModel.Network.LOCAL, 2);
        assertEquals(7 * 0.05, eight.at(1).total() - one.at(1).total(), EPS);
    }

    /** With no network, the round's transfers are only the merges: nothing for the broadcast, r results' intake. */
    @Test
    void aLocalNetworkCostsOnlyTheMerges() {
        ScalingModel m = new ScalingModel(new ScalingModel.Round(0.1, 1, 0, 5_000_000, 1_000_000, 2e-9),
                new ScalingModel.Driver(0, 0, 0), ScalingModel.Network.LOCAL, 2);
        assertEquals(0, m.at(4).broadcast(), EPS);
        assertEquals(4 * 1_000_000 * 2e-9, m.at(4).aggregation(), EPS); // 4 partitions: no executor-side level
    }

    @Test
    void withoutOverheadsSpeedupIsTheExecutorCount() {
        ScalingModel m = new ScalingModel(new ScalingModel.Round(0.2, 1, 0, 0, 0, 0), new ScalingModel.Driver(0, 0, 0),
                ScalingModel.Network.LOCAL, 2);
        for (int n : new int[] {1, 2, 8, 256}) {
            assertEquals(n, m.speedup(n), 1e-9);
            assertEquals(1.0, m.efficiency(n), 1e-12);
        }
    }

    /** Scheduling grows with N and so does the driver's intake: efficiency falls as the cluster grows. */
    @Test
    void efficiencyFallsWithTheDriversSerialWork() {
        ScalingModel m = new ScalingModel(new ScalingModel.Round(0.5, 1, 0.01, 1 << 20, 2 << 20, 1e-9),
                new ScalingModel.Driver(0.01, 0.002, 0), ScalingModel.Network.gigabits(10, 0.2), 2);
        assertEquals(1.0, m.efficiency(1), 1e-12);
        double previous = 1.0;
        for (int n : new int[] {2, 8, 32, 128, 256}) {
            double e = m.efficiency(n);
            assertTrue(e < previous && e > 0, "efficiency at " + n + ": " + e + " after " + previous);
            previous = e;
        }
    }

    @Test
    void gigabitsConvertToBytesAndMilliseconds() {
        ScalingModel.Network n = ScalingModel.Network.gigabits(10, 0.2);
        assertEquals(1.25e9, n.bytesPerSecond(), 1e-3);
        assertEquals(2e-4, n.latencySeconds(), 1e-15);
    }

    @Test
    void invalidPartsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ScalingModel.Round(-1, 1, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ScalingModel.Round(1, 0, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ScalingModel.Round(Double.NaN, 1, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ScalingModel.Driver(-0.1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ScalingModel.Driver(0, 0, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new ScalingModel.Network(0, 0));
        assertThrows(IllegalArgumentException.class, () -> ScalingModel.treeLevels(0, 2));
        ScalingModel.Round r = new ScalingModel.Round(1, 1, 0, 0, 0, 0);
        assertThrows(IllegalArgumentException.class,
                () -> new ScalingModel(r, new ScalingModel.Driver(0, 0, 0), ScalingModel.Network.LOCAL, 0));
    }
}
