package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The probe command's promise — "anyone can check our gradients with another framework" — kept by
 * doing it: an independent NumPy implementation (src/test/python/check_probe_bundle.py) recomputes the
 * forward pass, BPTT and every probe from the exported bundle and must agree to 1e-9 relative (float64).
 * Runs where python3 has NumPy; CI sets CAROUSEL_REQUIRE_NUMPY=1 so that it can never be skipped there.
 */
class NumpyCrossCheckTest {
    static final String SCRIPT = "src/test/python/check_probe_bundle.py";

    static boolean numpyAvailable() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "model.forget-gate.mode=learned",
        "model.forget-gate.mode=chrono",
        "model.forget-gate.mode=fixed,model.forget-gate.value=0.8",
        "model.forget-gate.mode=none",
        "model.cell=rnn,model.rnn-gain=0.9",
        "task.name=copy,task.length=6",
        "task.name=temporal-order,task.length=20,model.forget-gate.mode=uniform"})
    void numpyReproducesTheExportedGradientsAndProbes(String overrides, @TempDir Path dir) throws Exception {
        boolean required = "1".equals(System.getenv("CAROUSEL_REQUIRE_NUMPY"));
        boolean available = numpyAvailable();
        if (required) {
            assertTrue(available, "CAROUSEL_REQUIRE_NUMPY=1 but python3 cannot import numpy");
        }
        assumeTrue(available, "python3 with NumPy not found: cross-check skipped");

        List<String> args = new ArrayList<>(List.of("probe", "conf/main.conf", "--out", dir.resolve("bundle").toString(),
                "--set", "model.precision=float64", "--set", "model.hidden=8", "--set", "training.batch-size=5",
                "--set", "task.length=15"));
        for (String kv : overrides.split(",")) {
            args.add("--set");
            args.add(kv);
        }
        CliRunner.Run probe = CliRunner.cli(args.toArray(String[]::new));
        assertEquals(0, probe.exit(), probe.err());

        Process check = new ProcessBuilder("python3", SCRIPT, dir.resolve("bundle").toString(), "--rtol", "1e-9")
                .redirectErrorStream(true).start();
        assertTrue(check.waitFor(120, TimeUnit.SECONDS), "NumPy check timed out");
        String report = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println(overrides + "\n" + report);
        assertEquals(0, check.exitValue(), "NumPy disagrees with the exported bundle:\n" + report);
    }
}
