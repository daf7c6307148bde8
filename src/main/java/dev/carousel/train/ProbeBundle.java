package dev.carousel.train;

import dev.carousel.io.AtomicDirectory;
import dev.carousel.io.Json;
import dev.carousel.config.ConfigLoader;
import dev.carousel.data.SequenceBatch;
import dev.carousel.nn.Parameters;
import dev.carousel.nn.Probe;
import dev.carousel.nn.ProbeValues;
import dev.carousel.nn.RecurrentNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Everything needed to check one batch's gradients and probes with another framework, as {@code .npy}
 * files plus a JSON manifest that says what each file holds (shape legend: T steps, B sequences,
 * I inputs, H hidden, O outputs, P parameters):
 * <pre>
 *   inputs.npy [T,B,I]   targets.npy [T,B,O]   parameters.npy [P] and one file per block (W_x.npy …)
 *   gradient.npy [P]  ∂L/∂θ with L = mean_b ℓ_b       sequence_losses.npy [B]  ℓ_b
 *   grad_h.npy [T,B,H]  ∂ℓ_b/∂h_t    grad_c.npy [T,B,H]  ∂ℓ_b/∂c_t (LSTM)
 *   probe_NAME.npy  [B,T] per sequence, or [T] for dwh_step; log10 for norm probes (the manifest's
 *                   "equations" state the split of ∂ℓ_b/∂c_t that the dc_* probes record)
 * </pre>
 * Arrays are written in float64 whatever the engine precision, so readers need no casts.
 */
public final class ProbeBundle {
    public static final String FORMAT = "carousel-probe/1";

    private ProbeBundle() {}

    /** Writes the bundle atomically into {@code dir}. */
    public static void write(Path dir, RunSetup setup, String source, INDArray theta, SequenceBatch batch,
                             RecurrentNetwork.Result result, RecurrentNetwork.Trace trace, INDArray gradient) {
        try (AtomicDirectory out = AtomicDirectory.begin(dir)) {
            writeInto(out.staging(), setup, source, theta, batch, result, trace, gradient);
            out.commit();
        }
    }

    /** Writes the bundle's files into the existing folder {@code s} (whose commit is the caller's). */
    public static void writeInto(Path s, RunSetup setup, String source, INDArray theta, SequenceBatch batch,
                                 RecurrentNetwork.Result result, RecurrentNetwork.Trace trace, INDArray gradient) {
        if (result.probes() == null || trace.dh() == null) {
            throw new IllegalArgumentException("a probe bundle needs a backward pass with probes recorded "
                    + "(lossAndGradient(..., recordProbes = true)) and its trace");
        }
        int t = batch.steps();
        int b = batch.batchSize();
        int h = setup.spec().hidden();
        Map<String, Object> files = new LinkedHashMap<>();
        npy(s, "inputs.npy", Nd4j.create(batch.inputs(), new long[] {t, b, batch.inputSize()}, DataType.DOUBLE), files,
                "x_t for sequence b at [t, b, :]");
        npy(s, "targets.npy", Nd4j.create(batch.targets(), new long[] {t, b, batch.outputSize()}, DataType.DOUBLE),
                files, "targets; only the loss steps are read (one-hot for cross-entropy)");
        npy(s, "parameters.npy", theta.castTo(DataType.DOUBLE), files, "theta, the flat parameter vector; see layout");
        Parameters views = new Parameters(setup.spec().layout(), theta.castTo(DataType.DOUBLE));
        npy(s, "W_x.npy", views.wx, files, "[I, G] input weights, gate columns i|f|g|o (LSTM)");
        npy(s, "W_h.npy", views.wh, files, "[H, G] recurrent weights");
        npy(s, "b.npy", views.b.reshape(views.b.length()), files, "[G] gate biases");
        npy(s, "W_y.npy", views.wy, files, "[H, O] head weights");
        npy(s, "b_y.npy", views.by.reshape(views.by.length()), files, "[O] head bias");
        npy(s, "gradient.npy", gradient.castTo(DataType.DOUBLE), files, "dL/dtheta, L = mean over the batch of l_b");
        npy(s, "sequence_losses.npy", Nd4j.createFromArray(result.sequenceLosses()), files, "l_b per sequence");
        npy(s, "grad_h.npy", trace.dh().castTo(DataType.DOUBLE).reshape(t, b, h), files, "dl_b/dh_t at [t, b, :]");
        if (trace.dc() != null) {
            npy(s, "grad_c.npy", trace.dc().castTo(DataType.DOUBLE).reshape(t, b, h), files, "dl_b/dc_t at [t, b, :]");
        }
        ProbeValues pv = result.probes();
        for (Probe p : Probe.values()) {
            if (pv.has(p)) {
                long[] shape = p.isPerSequence() ? new long[] {b, t} : new long[] {t};
                npy(s, "probe_" + p.key() + ".npy", Nd4j.create(pv.get(p), shape, DataType.DOUBLE), files,
                        (p.isLog10() ? "log10 of " : "") + p.key() + (p.isPerSequence() ? " at [b, t]" : " at [t]"));
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("source", source);
        m.put("config_hash", ConfigLoader.hash(setup.config()));
        m.put("model", setup.describe());
        m.put("engine_precision", setup.spec().precision().name().toLowerCase());
        m.put("loss", batch.supervision().kind().name().toLowerCase());
        m.put("loss_steps", batch.supervision().steps());
        m.put("last_loss_step", batch.supervision().lastStep());
        m.put("batch_loss", result.loss());
        m.put("equations", List.of(
                "z_t = x_t W_x + h_{t-1} W_h + b, gates i,f,g,o = sigmoid,sigmoid,tanh,sigmoid; c_t = f*c_{t-1} + i*g; h_t = o*tanh(c_t); h_{-1} = c_{-1} = 0",
                "RNN: h_t = tanh(x_t W_x + h_{t-1} W_h + b)",
                "y_t = h_t W_y + b_y at loss steps; l_b = mean over loss steps of the step loss (MSE: mean over outputs of squared error; CE: -sum target*log_softmax)",
                "fixed/none forget gates: f_t = value (1 for none); their f-gate parameters get zero gradient",
                "probe_dc_*: dl_b/dc_t = dc_{t+1}*f_{t+1} (carousel) + sum over k in i,f,g,o of "
                        + "(dz_{t+1}[:, kH:(k+1)H] W_h[:, kH:(k+1)H]^T) * o_t * (1 - tanh(c_t)^2) (via_k) "
                        + "+ (dl_b/dh_t from the head) * o_t * (1 - tanh(c_t)^2) at loss steps; recorded: log10 norms of "
                        + "carousel and via_k, share = |carousel| / (|carousel| + sum_k |via_k|), agreement = "
                        + "|carousel + sum_k via_k| / (|carousel| + sum_k |via_k|), cosine(carousel, sum_k via_k); "
                        + "at t = T-1 no term exists (-inf, NaN)"));
        m.put("loss_scale", "state gradients and probes are of l_b, the loss of one sequence (not divided by B); "
                + "gradient.npy is of L = mean_b l_b");
        m.put("layout", Checkpoint.layoutManifest(setup.spec().layout()));
        m.put("files", files);
        m.put("config", ConfigLoader.toConfig(setup.config()).root().unwrapped());
        Json.write(s.resolve("manifest.json"), m);
    }

    private static void npy(Path dir, String name, INDArray array, Map<String, Object> files, String meaning) {
        try {
            INDArray a = array.dataType() == DataType.DOUBLE ? array : array.castTo(DataType.DOUBLE);
            Nd4j.writeAsNumpy(a.dup('c'), dir.resolve(name).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + name + ": " + e.getMessage(), e);
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("shape", array.shape());
        e.put("meaning", meaning);
        files.put(name, e);
    }
}
