package dev.carousel.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.cli.CliRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default sweep's fast version ({@code carousel sweep conf/sweeps/forget-gate.conf --fast}: adding at T = 50,
 * seeds 1 and 2) run through the CLI, and the story its report tells, asserted on the tables: chrono and forget bias
 * ≥ 1 reach the target loss within the budget, forget bias ≤ −1 and the tanh-RNN stay on the plateau of predicting
 * the mean; every stored summary equals what the test computes from the curves and step statistics.
 */
class DefaultSweepStoryTest {
    @Test
    void chronoAndLargeBiasesLearnWhileNegativeBiasesAndTheRnnStayOnThePlateau(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        CliRunner.Run run = CliRunner.cli("sweep", "conf/sweeps/forget-gate.conf", "--fast", "--out", out.toString(),
                "--master", "local[2]");
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("12 completed"), run.out());

        List<Row> runs = SweepCliTest.spark().read().format("delta").load(out.resolve("runs").toString()).collectAsList();
        assertEquals(12, runs.size());
        int learned = 0;
        int plateau = 0;
        for (Row r : runs) {
            String setting = "rnn".equals(r.getAs("model_cell")) ? "rnn" : r.getAs("forget_setting");
            String what = setting + " seed " + r.getAs("seed") + ": updates to target " + r.getAs("updates_to_target")
                    + ", best " + r.getAs("best_validation_loss");
            assertEquals(0.05, r.<Double>getAs("target_loss"), 0, what);
            Double bias = r.getAs("axis_model_forget_gate_bias");
            boolean chrono = setting.startsWith("chrono");
            boolean rnn = setting.equals("rnn");
            if (chrono || (bias != null && bias >= 1 && "learned".equals(r.getAs("forget_mode")))) {
                assertNotNull(r.getAs("updates_to_target"), what + " must reach the target within 1,500 updates");
                assertTrue(r.<Double>getAs("best_validation_loss") < 0.05, what);
                learned++;
            } else if (rnn || (bias != null && bias <= -1)) {
                assertNull(r.getAs("updates_to_target"), what + " must stay on the plateau");
                assertTrue(r.<Double>getAs("best_validation_loss") > 0.12, what + ": the plateau is ~1/6");
                plateau++;
            }
        }
        assertEquals(6, learned, "chrono, bias 1 and bias 3, 2 seeds each");
        assertEquals(6, plateau, "bias -1, bias -2 and the tanh-RNN, 2 seeds each");

        SweepSummariesTest.assertSummariesMatchTheRows(out);
        String html = Files.readString(out.resolve("report").resolve("index.html"));
        assertTrue(html.contains("updates-to-target-adding-T50.png"), "the report has the learning figure");
    }
}
