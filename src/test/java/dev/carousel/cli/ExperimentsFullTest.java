package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The full versions of the built-in reproductions (conf/experiments/), each through the real CLI on
 * {@code local[2]}, every expectation required to PASS. About 50 minutes on a 2-core machine (the forget-bias
 * one, 12 cells of 8,000 updates at T = 100, took 19 of them), so only under
 * {@code mvn -B -Pexperiments verify}; {@code jobs/carousel experiment NAME} runs one by hand and resumes.
 */
@Tag("experiment")
class ExperimentsFullTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"vanishing-at-init, 6", "exploding-at-init, 2", "forget-bias-adding, 3",
            "large-bias-without-input-coupling, 2", "copy-plateau, 1", "carousel-share, 6"})
    void fullVersionPasses(String name, int expectations, @TempDir Path dir) {
        CliRunner.Run run = CliRunner.cli("experiment", name, "--full", "--out", dir.resolve("out").toString(),
                "--master", "local[2]", "-q");
        List<String> lines = run.out().lines().filter(l -> l.startsWith("PASS") || l.startsWith("FAIL")).toList();
        run.out().lines().forEach(System.out::println);
        assertEquals(expectations, lines.size(), run.out() + run.err());
        lines.forEach(l -> assertTrue(l.startsWith("PASS"), l));
        assertEquals(0, run.exit(), run.err());
    }
}
