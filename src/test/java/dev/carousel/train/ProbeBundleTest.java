package dev.carousel.train;

import dev.carousel.io.Json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.data.SequenceBatch;
import dev.carousel.nn.ParameterLayout;
import dev.carousel.nn.Probe;
import dev.carousel.nn.ProbeValues;
import dev.carousel.nn.RecurrentNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ProbeBundleTest {

    private static final int T = 6;
    private static final int B = 5;
    private static final int H = 4;
    private static final int I = 2; // adding task: value and marker channels
    private static final int O = 1;

    @TempDir
    Path tmp;

    /** One real forward/backward pass on training batch 0, as the CLI's probe export would do it. */
    private record Pass(RunSetup setup, INDArray theta, SequenceBatch batch, RecurrentNetwork.Result result,
                        RecurrentNetwork.Trace trace, INDArray grad) {
        static Pass of(String cell, String precision) {
            CarouselConfig cfg = ConfigLoader.parse("seed = 11\n"
                    + "task { name = adding, length = " + T + " }\n"
                    + "model { cell = " + cell + ", hidden = " + H + ", precision = " + precision + " }\n"
                    + "training.batch-size = " + B + "\n", "test");
            RunSetup setup = RunSetup.of(cfg);
            INDArray theta = setup.initialParameters();
            SequenceBatch batch = setup.trainingBatch(0, 0);
            RecurrentNetwork net = new RecurrentNetwork(setup.spec());
            INDArray grad = Nd4j.create(theta.dataType(), theta.length());
            RecurrentNetwork.Result result = net.lossAndGradient(theta, batch, grad, true);
            return new Pass(setup, theta, batch, result, net.trace(), grad);
        }

        Path write(Path dir) {
            ProbeBundle.write(dir, setup, "unit-test", theta, batch, result, trace, grad);
            return dir;
        }
    }

    private static double[] flat(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector();
    }

    private static INDArray load(Path file) {
        return Nd4j.createFromNpyFile(file.toFile());
    }

    private static Set<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> files(Map<String, Object> manifest) {
        return (Map<String, Map<String, Object>>) (Map<String, ?>) manifest.get("files");
    }

    @SuppressWarnings("unchecked")
    private static long[] shape(Map<String, Object> entry) {
        return ((List<Number>) entry.get("shape")).stream().mapToLong(Number::longValue).toArray();
    }

    /**
     * Every file in the manifest exists, is a float64 NumPy v1 file whose header shape is the manifest's, ND4J
     * reads it back with that shape, and the directory holds nothing the manifest does not list.
     */
    private static void assertFilesMatchManifest(Path dir, Map<String, Object> manifest) throws IOException {
        Map<String, Map<String, Object>> files = files(manifest);
        Set<String> expectedOnDisk = new TreeSet<>(files.keySet());
        expectedOnDisk.add("manifest.json");
        assertEquals(expectedOnDisk, list(dir));
        for (Map.Entry<String, Map<String, Object>> e : files.entrySet()) {
            Path file = dir.resolve(e.getKey());
            assertTrue(Files.isRegularFile(file), file.toString());
            long[] shape = shape(e.getValue());
            NpyFile npy = NpyFile.read(file);
            assertEquals("<f8", npy.descr(), e.getKey() + " is float64 whatever the engine precision");
            assertFalse(npy.fortranOrder(), e.getKey());
            assertArrayEquals(shape, npy.shape(), e.getKey() + ": header shape vs manifest");
            assertEquals(npy.elements(), npy.values().length, e.getKey());
            INDArray a = load(file);
            assertEquals(DataType.DOUBLE, a.dataType(), e.getKey());
            assertArrayEquals(shape, a.shape(), e.getKey() + ": shape read back vs manifest");
            assertArrayEquals(npy.values(), flat(a), e.getKey() + ": ND4J and the raw payload agree");
            assertTrue(e.getValue().get("meaning") instanceof String s && !s.isBlank(), e.getKey() + " meaning");
        }
    }

    @Test
    void lstmBundleHoldsEveryArrayWithTheManifestShapes() throws IOException {
        Pass pass = Pass.of("lstm", "float32");
        Path dir = pass.write(tmp.resolve("bundle"));
        Map<String, Object> m = Json.read(dir.resolve("manifest.json"));

        long p = pass.setup().spec().layout().count();
        int g = 4 * H;
        Map<String, long[]> expected = new java.util.LinkedHashMap<>();
        expected.put("inputs.npy", new long[] {T, B, I});
        expected.put("targets.npy", new long[] {T, B, O});
        expected.put("parameters.npy", new long[] {p});
        expected.put("W_x.npy", new long[] {I, g});
        expected.put("W_h.npy", new long[] {H, g});
        expected.put("b.npy", new long[] {g});
        expected.put("W_y.npy", new long[] {H, O});
        expected.put("b_y.npy", new long[] {O});
        expected.put("gradient.npy", new long[] {p});
        expected.put("sequence_losses.npy", new long[] {B});
        expected.put("grad_h.npy", new long[] {T, B, H});
        expected.put("grad_c.npy", new long[] {T, B, H});
        expected.put("probe_dh.npy", new long[] {B, T});
        expected.put("probe_dc.npy", new long[] {B, T});
        expected.put("probe_forget.npy", new long[] {B, T});
        expected.put("probe_path_gain.npy", new long[] {B, T});
        expected.put("probe_dwh_step.npy", new long[] {T});
        for (String split : List.of("dc_carousel", "dc_via_i", "dc_via_f", "dc_via_g", "dc_via_o", "dc_share",
                "dc_agreement", "dc_cosine")) {
            expected.put("probe_" + split + ".npy", new long[] {B, T});
        }
        Map<String, Map<String, Object>> files = files(m);
        assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(files.keySet()));
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), shape(files.get(e.getKey())), e.getKey());
        }
        assertFilesMatchManifest(dir, m);
    }

    @Test
    void lstmArraysHoldTheValuesOfThePass() throws IOException {
        Pass pass = Pass.of("lstm", "float32");
        Path dir = pass.write(tmp.resolve("bundle"));
        assertEquals(DataType.FLOAT, pass.grad().dataType());

        // gradient.npy is the engine's gradient, widened exactly to float64.
        INDArray gradient = load(dir.resolve("gradient.npy"));
        assertArrayEquals(flat(pass.grad()), flat(gradient));
        assertTrue(pass.grad().norm2Number().doubleValue() > 0, "a real, non-zero gradient");
        assertArrayEquals(flat(pass.theta()), flat(load(dir.resolve("parameters.npy"))));
        assertArrayEquals(pass.result().sequenceLosses(), flat(load(dir.resolve("sequence_losses.npy"))));

        // inputs.npy is the batch's inputs as [T, B, I]: element (t, b, i) is batch.input(t, b, i).
        INDArray inputs = load(dir.resolve("inputs.npy"));
        SequenceBatch batch = pass.batch();
        assertArrayEquals(batch.inputs(), flat(inputs));
        assertArrayEquals(flat(Nd4j.create(batch.inputs(), new long[] {T, B, I}, DataType.DOUBLE)), flat(inputs));
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < B; b++) {
                for (int i = 0; i < I; i++) {
                    assertEquals(batch.input(t, b, i), inputs.getDouble(t, b, i), "input " + t + "," + b + "," + i);
                }
            }
        }
        INDArray targets = load(dir.resolve("targets.npy"));
        assertArrayEquals(batch.targets(), flat(targets));
        for (int b = 0; b < B; b++) {
            assertEquals(batch.target(T - 1, b, 0), targets.getDouble(T - 1, b, 0));
        }

        // Per-block files are the layout's slices of theta.
        ParameterLayout layout = pass.setup().spec().layout();
        double[] theta = flat(pass.theta());
        for (ParameterLayout.Block block : layout.blocks().values()) {
            double[] slice = java.util.Arrays.copyOfRange(theta, (int) block.offset(),
                    (int) (block.offset() + block.length()));
            INDArray a = load(dir.resolve(block.name() + ".npy"));
            assertArrayEquals(block.shape(), a.shape(), block.name());
            assertArrayEquals(slice, flat(a), block.name());
        }

        // grad_h / grad_c are the trace's time-major [T·B, H] state gradients as [T, B, H].
        INDArray gradH = load(dir.resolve("grad_h.npy"));
        INDArray gradC = load(dir.resolve("grad_c.npy"));
        assertArrayEquals(flat(pass.trace().dh()), flat(gradH));
        assertArrayEquals(flat(pass.trace().dc()), flat(gradC));
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < B; b++) {
                for (int u = 0; u < H; u++) {
                    assertEquals(pass.trace().dh().getDouble(t * B + b, u), gradH.getDouble(t, b, u));
                }
            }
        }

        // Probes: [B, T] per sequence, [T] for dwh_step, exactly the recorded values.
        ProbeValues pv = pass.result().probes();
        for (Probe probe : Probe.values()) {
            INDArray a = load(dir.resolve("probe_" + probe.key() + ".npy"));
            assertArrayEquals(pv.get(probe), flat(a), probe.key());
        }
        INDArray dh = load(dir.resolve("probe_dh.npy"));
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                assertEquals(pv.get(Probe.DH, b, t), dh.getDouble(b, t), "probe_dh " + b + "," + t);
                // ... and probe_dh[b, t] is log10 of the norm of grad_h[t, b, :], as the manifest says.
                double sq = 0;
                for (int u = 0; u < H; u++) {
                    sq += gradH.getDouble(t, b, u) * gradH.getDouble(t, b, u);
                }
                assertEquals(0.5 * Math.log10(sq), dh.getDouble(b, t), 1e-12, "probe_dh vs grad_h at " + b + "," + t);
            }
        }
        // h_{-1} = 0, so step 0 contributes nothing to dW_h: log10 0 = -inf survives the file.
        assertEquals(Double.NEGATIVE_INFINITY, load(dir.resolve("probe_dwh_step.npy")).getDouble(0));
    }

    @Test
    @SuppressWarnings("unchecked")
    void lstmManifestDescribesTheRun() throws IOException {
        Pass pass = Pass.of("lstm", "float32");
        Path dir = pass.write(tmp.resolve("bundle"));
        Map<String, Object> m = Json.read(dir.resolve("manifest.json"));
        assertEquals(ProbeBundle.FORMAT, m.get("format"));
        assertEquals("carousel-probe/1", m.get("format"));
        assertEquals("unit-test", m.get("source"));
        assertEquals(ConfigLoader.hash(pass.setup().config()), m.get("config_hash"));
        assertEquals(pass.setup().describe(), m.get("model"));
        assertEquals("float32", m.get("engine_precision"));
        assertEquals("mse", m.get("loss"));
        assertEquals(List.of(T - 1), m.get("loss_steps"));
        assertEquals(T - 1, ((Number) m.get("last_loss_step")).intValue());
        assertEquals(pass.result().loss(), ((Number) m.get("batch_loss")).doubleValue());
        assertEquals(5, ((List<String>) m.get("equations")).size());
        assertTrue(((String) m.get("loss_scale")).startsWith("state gradients and probes are of l_b"));
        List<Map<String, Object>> layout = (List<Map<String, Object>>) m.get("layout");
        List<String> names = new ArrayList<>();
        for (Map<String, Object> block : layout) {
            ParameterLayout.Block expected = pass.setup().spec().layout().block((String) block.get("name"));
            names.add(expected.name());
            assertEquals(expected.offset(), ((Number) block.get("offset")).longValue());
            assertArrayEquals(expected.shape(), ((List<Number>) block.get("shape")).stream()
                    .mapToLong(Number::longValue).toArray());
        }
        assertEquals(List.of("W_x", "W_h", "b", "W_y", "b_y"), names);
        Map<String, Object> config = (Map<String, Object>) m.get("config");
        assertEquals("lstm", ((Map<String, Object>) config.get("model")).get("cell"));
        assertEquals(T, ((Number) ((Map<String, Object>) config.get("task")).get("length")).intValue());
        assertEquals(Set.of("bundle"), list(tmp), "nothing but the bundle is left in the parent");
    }

    @Test
    void rnnBundleHasNoCellStateFiles() throws IOException {
        Pass pass = Pass.of("rnn", "float64");
        assertEquals(null, pass.trace().dc());
        Path dir = pass.write(tmp.resolve("bundle"));
        Map<String, Object> m = Json.read(dir.resolve("manifest.json"));
        assertEquals("float64", m.get("engine_precision"));

        Map<String, Map<String, Object>> files = files(m);
        assertEquals(List.of("inputs.npy", "targets.npy", "parameters.npy", "W_x.npy", "W_h.npy", "b.npy", "W_y.npy",
                "b_y.npy", "gradient.npy", "sequence_losses.npy", "grad_h.npy", "probe_dh.npy", "probe_dwh_step.npy"),
                new ArrayList<>(files.keySet()));
        assertFalse(Files.exists(dir.resolve("grad_c.npy")));
        assertFalse(Files.exists(dir.resolve("probe_dc.npy")));
        assertFalse(Files.exists(dir.resolve("probe_forget.npy")));
        assertFalse(Files.exists(dir.resolve("probe_path_gain.npy")));
        // The RNN's gate width is H.
        assertArrayEquals(new long[] {I, H}, shape(files.get("W_x.npy")));
        assertArrayEquals(new long[] {H, H}, shape(files.get("W_h.npy")));
        assertArrayEquals(new long[] {H}, shape(files.get("b.npy")));
        assertFilesMatchManifest(dir, m);

        // Values are the pass's, bit for bit in float64.
        assertArrayEquals(flat(pass.grad()), flat(load(dir.resolve("gradient.npy"))));
        assertArrayEquals(pass.result().probes().get(Probe.DH), flat(load(dir.resolve("probe_dh.npy"))));
        assertArrayEquals(flat(pass.trace().dh()), flat(load(dir.resolve("grad_h.npy"))));
        assertArrayEquals(pass.batch().inputs(), flat(load(dir.resolve("inputs.npy"))));
    }

    @Test
    void parametersAndGradientThatAreViewsAreWrittenByValue() throws IOException {
        // theta and the gradient as slices at a non-zero offset of larger arrays (as a caller holding one
        // buffer for several vectors would pass them): the files must hold their values.
        Pass pass = Pass.of("rnn", "float64");
        INDArray theta = sliceOf(pass.theta(), 5);
        INDArray grad = sliceOf(pass.grad(), 9);
        Path dir = tmp.resolve("bundle");
        ProbeBundle.write(dir, pass.setup(), "views", theta, pass.batch(), pass.result(), pass.trace(), grad);
        assertArrayEquals(flat(pass.theta()), flat(load(dir.resolve("parameters.npy"))));
        assertArrayEquals(flat(pass.grad()), flat(load(dir.resolve("gradient.npy"))));
        ParameterLayout.Block wh = pass.setup().spec().layout().block("W_h");
        assertArrayEquals(java.util.Arrays.copyOfRange(flat(pass.theta()), (int) wh.offset(),
                (int) (wh.offset() + wh.length())), flat(load(dir.resolve("W_h.npy"))));
    }

    private static INDArray sliceOf(INDArray a, long pad) {
        long n = a.length();
        INDArray big = Nd4j.valueArrayOf(new long[] {n + 2 * pad}, 99.0, a.dataType());
        INDArray view = big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(pad, pad + n));
        view.assign(a);
        assertTrue(view.isView() && view.offset() == pad);
        return view;
    }

    @Test
    void rewritingABundleReplacesIt() throws IOException {
        Path dir = tmp.resolve("bundle");
        Pass.of("lstm", "float32").write(dir);
        Pass rnn = Pass.of("rnn", "float32");
        rnn.write(dir);
        assertFalse(Files.exists(dir.resolve("grad_c.npy")), "files of the LSTM bundle must not survive");
        assertEquals(Set.of("bundle"), list(tmp));
        Map<String, Object> m = Json.read(dir.resolve("manifest.json"));
        assertEquals(ConfigLoader.hash(rnn.setup().config()), m.get("config_hash"));
        assertFilesMatchManifest(dir, m);
    }
}
