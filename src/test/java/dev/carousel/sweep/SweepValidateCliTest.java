package dev.carousel.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.CliRunner;
import dev.carousel.cli.Main;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carousel validate SPEC} on sweep specs: cell count, the first cells, total GFLOP; bad specs exit 2. */
class SweepValidateCliTest {
    static CliRunner.Run cli(String... args) {
        return CliRunner.cli(args);
    }

    @Test
    void validateOnTheDefaultSweepPrintsCellsAndCost() {
        CliRunner.Run run = cli("validate", "conf/sweeps/forget-gate.conf");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("is valid: 90 cells (225 combinations, 135 duplicates removed)"), run.out());
        assertTrue(run.out().contains("task.length") && run.out().contains("model.forget-gate.bias"), run.out());
        assertTrue(run.out().contains("... and 78 more cells"), run.out());
        assertTrue(run.out().contains("GFLOP in total"), run.out());
    }

    @Test
    void validateOnASmallSpecListsEveryCell(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("s.conf");
        Files.writeString(spec, "base { task.length = 12, model.hidden = 4, training { batch-size = 2, updates = 10 } }\n"
                + "grid { \"model.cell\" = [lstm, rnn], \"model.forget-gate.bias\" = [0, 1] }\n");
        CliRunner.Run run = cli("validate", spec.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("3 cells (4 combinations, 1 duplicates removed)"), run.out());
        String rnnRow = run.out().lines().filter(l -> l.contains(" rnn ")).findFirst().orElseThrow();
        assertTrue(rnnRow.contains(" - "), "the RNN ignores the bias axis: " + rnnRow);
        // Two LSTM cells and a quarter-cost RNN: 2.25 x 24·B·H·(I+H)·T x updates, B = 2, H = 4, I = 2, T = 12, 10 updates.
        assertTrue(run.out().contains(String.format(java.util.Locale.ROOT, "~%.4g GFLOP in total",
                2.25 * 24.0 * 2 * 4 * 6 * 12 * 10 / 1e9)), run.out());
    }

    @Test
    void aBadSpecIsOneLineAndExitTwo(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("bad.conf");
        Files.writeString(spec, "grid {\n  \"model.hiden\" = [4, 8]\n}\n");
        CliRunner.Run run = cli("validate", spec.toString());
        assertEquals(Main.BAD_INPUT, run.exit());
        assertTrue(run.err().contains("bad.conf:2: grid.model.hiden") && run.err().contains("did you mean model.hidden?"),
                run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());

        CliRunner.Run set = cli("validate", "conf/sweeps/forget-gate.conf", "--set", "model.hidden=8");
        assertEquals(Main.BAD_INPUT, set.exit());
        assertTrue(set.err().contains("--set"), set.err());
    }

    @Test
    void runConfigsAreStillValidatedAsBefore() {
        CliRunner.Run run = cli("validate", "conf/main.conf");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("is valid") && run.out().contains("GFLOP per update"), run.out());
    }
}
