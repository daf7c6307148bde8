package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.experiment.Expectations;
import dev.carousel.sweep.SweepSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code carousel experiment NAME --fast} through the real CLI on {@code local[2]}, for the experiments whose fast
 * version fits the default suite: the two at initialisation (about 1-2 minutes on a quiet 2-core machine
 * together; 6-10 minutes on a heavily shared one). The training-heavy fast versions run under {@code mvn -Pexperiments}
 * ({@link ExperimentsTrainingTest}).
 */
class ExperimentCommandTest {
    static CliRunner.Run experiment(String name, Path out) {
        return CliRunner.cli("experiment", name, "--fast", "--out", out.toString(), "--master", "local[2]", "-q");
    }

    /** Every PASS/FAIL line: all must be PASS, each with its measured figures, and the exit code 0. */
    static List<String> assertExpectations(CliRunner.Run run, int count) {
        List<String> lines = run.out().lines().filter(l -> l.startsWith("PASS") || l.startsWith("FAIL")).toList();
        run.out().lines().forEach(System.out::println);
        assertEquals(count, lines.size(), run.out() + run.err());
        for (String l : lines) {
            assertTrue(l.startsWith("PASS"), l);
            assertTrue(l.contains(" — ") && l.substring(l.indexOf(" — ")).matches(".*\\d.*"), "figures missing: " + l);
        }
        assertEquals(0, run.exit(), run.out() + run.err());
        return lines;
    }

    @Test
    void vanishingAtInit(@TempDir Path dir) throws IOException {
        CliRunner.Run run = experiment("vanishing-at-init", dir.resolve("out"));
        assertExpectations(run, 6);
        assertTrue(Files.readString(dir.resolve("out/report/expectations.txt")).contains("PASS  tanh-RNN"));
        assertTrue(Files.exists(dir.resolve("out/report/index.html")));
    }

    @Test
    void explodingAtInit(@TempDir Path dir) {
        assertExpectations(experiment("exploding-at-init", dir.resolve("out")), 2);
    }

    @Test
    void unknownExperimentIsBadInput() {
        CliRunner.Run run = CliRunner.cli("experiment", "no-such-thing", "--fast");
        assertEquals(Main.BAD_INPUT, run.exit());
        assertTrue(run.err().contains("vanishing-at-init"), run.err());
    }

    /** Every spec in conf/experiments has expectations, a header citing its papers, and a valid fast version. */
    @ParameterizedTest
    @ValueSource(strings = {"vanishing-at-init", "exploding-at-init", "forget-bias-adding",
            "large-bias-without-input-coupling", "copy-plateau", "carousel-share"})
    void everySpecLoadsInBothVersions(String name) throws IOException {
        Path file = Path.of("conf/experiments", name + ".conf");
        assertTrue(Expectations.NAMES.contains(name));
        SweepSpec full = SweepSpec.load(file);
        SweepSpec fast = SweepSpec.load(file, true);
        assertEquals(name, full.name());
        assertEquals(name + "-fast", fast.name());
        assertTrue(fast.cells().size() < full.cells().size() || fast.estimatedFlops() < full.estimatedFlops(),
                "the fast version must be cheaper: fewer cells or fewer FLOPs");
        String text = Files.readString(file);
        assertTrue(text.startsWith("# Experiment " + name + ":") && text.contains("Expected"), "header of " + file);
        assertTrue(text.matches("(?s).*(19|20)\\d\\d.*"), "header must cite a paper with its year");
    }

    @Test
    void everyExperimentHasASpec() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("conf/experiments"))) {
            assertEquals(Set.copyOf(Expectations.NAMES), files.map(f -> f.getFileName().toString().replace(".conf", ""))
                    .collect(java.util.stream.Collectors.toSet()));
        }
    }
}
