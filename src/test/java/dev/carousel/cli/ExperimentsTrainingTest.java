package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.experiment.Expectations;
import dev.carousel.experiment.Results;
import dev.carousel.experiment.ResultsReader;
import dev.carousel.store.Storage;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training fast versions, in the default suite: forget-bias-adding (T = 50, 4 cells of 3,000 updates) and
 * its 2-partition data-parallel run, large-bias-without-input-coupling (2 trained cells besides the at-init
 * pair), copy-plateau (4 cells of 1,500 updates) and carousel-share (4 cells of 1,500 updates); about 8.5 minutes on a quiet 2-core machine. The full
 * versions run under {@code mvn -B -Pexperiments verify} ({@link ExperimentsFullTest}).
 */
class ExperimentsTrainingTest {

    /**
     * One partition and two: both runs pass the experiment's 2 expectations and exit 0, and rank the cells in the
     * same order.
     */
    @Test
    void forgetBiasAddingFastPassesOnOneAndTwoPartitionsWithTheSameOrdering(@TempDir Path dir) {
        Path one = dir.resolve("one");
        Path two = dir.resolve("two");
        ExperimentCommandTest.assertExpectations(ExperimentCommandTest.experiment("forget-bias-adding", one), 2);
        ExperimentCommandTest.assertExpectations(CliRunner.cli("experiment", "forget-bias-adding", "--fast", "--out",
                two.toString(), "--set", "distributed.partitions=2", "--master", "local[2]", "-q"), 2);
        Results r1 = ResultsReader.read(Storage.local(one), new Configuration());
        Results r2 = ResultsReader.read(Storage.local(two), new Configuration());
        assertTrue(r2.cells().stream().allMatch(c -> c.config().distributed().partitions() == 2));
        List<String> o1 = Expectations.ordering(r1);
        List<String> o2 = Expectations.ordering(r2);
        System.out.println("ordering, 1 partition: " + o1 + "; 2 partitions: " + o2);
        assertEquals(o1, o2);
    }

    @Test
    void copyPlateauFast(@TempDir Path dir) {
        ExperimentCommandTest.assertExpectations(ExperimentCommandTest.experiment("copy-plateau", dir.resolve("out")), 1);
    }

    /** Four cells of 1,500 updates recording the split of ∂ℓ/∂c; the report draws its figures (h) and (i). */
    @Test
    void carouselShareFast(@TempDir Path dir) throws java.io.IOException {
        Path out = dir.resolve("out");
        ExperimentCommandTest.assertExpectations(ExperimentCommandTest.experiment("carousel-share", out), 6);
        try (var files = java.nio.file.Files.list(out.resolve("report"))) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            assertTrue(names.stream().anyMatch(n -> n.startsWith("carousel-share-")), names.toString());
            assertTrue(names.stream().anyMatch(n -> n.startsWith("term-agreement-")), names.toString());
        }
    }

    @Test
    void largeBiasWithoutInputCouplingFast(@TempDir Path dir) {
        ExperimentCommandTest.assertExpectations(
                ExperimentCommandTest.experiment("large-bias-without-input-coupling", dir.resolve("out")), 2);
    }
}
