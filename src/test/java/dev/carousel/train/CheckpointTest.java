package dev.carousel.train;

import dev.carousel.io.Json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.ParameterLayout;
import dev.carousel.nn.Precision;
import dev.carousel.optim.OptimizerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class CheckpointTest {

    @TempDir
    Path tmp;

    /**
     * A tiny config; the seed needs more than 53 bits and the learning rate has no short binary form, so a
     * lossy JSON round trip of either would show.
     */
    private static CarouselConfig config(String precision) {
        return ConfigLoader.parse("seed = -1234567890123456789\n"
                + "task { name = adding, length = 6, validation-sequences = 8 }\n"
                + "model { cell = lstm, hidden = 4, precision = " + precision
                + ", forget-gate { mode = learned, bias = 0.7 } }\n"
                + "optimizer { name = adam, learning-rate = 0.0123, beta2 = 0.99 }\n"
                + "training { batch-size = 3, updates = 5, eval-every = 5 }\n"
                + "probes.enabled = false\n", "test");
    }

    private static TrainResult train(CarouselConfig cfg) {
        return LocalTrainer.train(cfg, TrainingListener.NONE);
    }

    private static ParameterLayout layout(CarouselConfig cfg) {
        return RunSetup.of(cfg).spec().layout();
    }

    /** Bit patterns, so that -0.0/0.0 and NaN payloads count and no tolerance hides a lossy round trip. */
    private static long[] bits(INDArray a) {
        if (a.dataType() == DataType.FLOAT) {
            float[] f = a.toFloatVector();
            long[] out = new long[f.length];
            for (int k = 0; k < f.length; k++) {
                out[k] = Float.floatToRawIntBits(f[k]);
            }
            return out;
        }
        assertEquals(DataType.DOUBLE, a.dataType());
        return Arrays.stream(a.toDoubleVector()).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    private static void assertBitIdentical(INDArray expected, INDArray actual, String what) {
        assertEquals(expected.dataType(), actual.dataType(), what + ": data type");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertArrayEquals(bits(expected), bits(actual), what + ": values");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"float32", "float64"})
    void writeThenReadRoundTripsEverything(String precision) {
        CarouselConfig cfg = config(precision);
        TrainResult r = train(cfg);
        DataType dt = Precision.valueOf(precision.toUpperCase()).dataType();
        OptimizerState state = r.optimizerState();
        assertEquals(dt, r.parameters().dataType());
        assertEquals(5, r.updates());
        assertEquals(5, state.step(), "five real Adam updates");
        assertEquals(List.of("m", "v"), state.names());
        assertNotEquals(0.0, state.get("m").norm2Number().doubleValue(), "m must hold real moments");
        assertNotEquals(0.0, state.get("v").norm2Number().doubleValue(), "v must hold real moments");

        Path dir = tmp.resolve("ckpt");
        new Checkpoint(cfg, r.parameters(), state, r.updates()).write(dir, layout(cfg));
        Checkpoint back = Checkpoint.read(dir);

        assertEquals(cfg, back.config());
        assertEquals(ConfigLoader.hash(cfg), ConfigLoader.hash(back.config()));
        assertBitIdentical(r.parameters(), back.parameters(), "parameters");
        assertEquals(state.names(), back.optimizerState().names());
        assertEquals(5, back.optimizerState().step());
        for (String name : state.names()) {
            assertBitIdentical(state.get(name), back.optimizerState().get(name), "optimizer buffer " + name);
        }
        assertEquals(5, back.update());
    }

    @Test
    void aCheckpointResumesTrainingExactlyWhereItStopped() {
        // 5 updates, checkpoint, then the same Adam step from the read-back state equals one from the live state.
        CarouselConfig cfg = config("float64");
        TrainResult r = train(cfg);
        Path dir = tmp.resolve("ckpt");
        new Checkpoint(cfg, r.parameters(), r.optimizerState(), r.updates()).write(dir, layout(cfg));
        Checkpoint back = Checkpoint.read(dir);

        dev.carousel.optim.Optimizer adam = dev.carousel.optim.Optimizers.create(cfg.optimizer());
        INDArray grad = Nd4j.linspace(-1, 1, r.parameters().length(), DataType.DOUBLE);
        INDArray liveTheta = r.parameters().dup();
        OptimizerState liveState = r.optimizerState().copy();
        adam.update(liveTheta, grad, liveState);
        INDArray readTheta = back.parameters().dup();
        adam.update(readTheta, grad, back.optimizerState());
        assertBitIdentical(liveTheta, readTheta, "theta after one more update");
        assertEquals(6, back.optimizerState().step());
    }

    @Test
    @SuppressWarnings("unchecked")
    void manifestDescribesTheCheckpoint() {
        CarouselConfig cfg = config("float32");
        TrainResult r = train(cfg);
        ParameterLayout layout = layout(cfg);
        Path dir = tmp.resolve("ckpt");
        new Checkpoint(cfg, r.parameters(), r.optimizerState(), 5).write(dir, layout);

        Map<String, Object> m = Json.read(dir.resolve("manifest.json"));
        assertEquals(Checkpoint.FORMAT, m.get("format"));
        assertEquals("carousel-checkpoint/1", m.get("format"));
        assertEquals(ConfigLoader.hash(cfg), m.get("config_hash"));
        assertEquals(16, ((String) m.get("config_hash")).length());
        assertEquals(5, ((Number) m.get("update")).intValue());
        assertEquals("float", m.get("dtype"));
        assertEquals("parameters.npy", m.get("parameters"));

        Map<String, Object> opt = (Map<String, Object>) m.get("optimizer");
        assertEquals("adam", opt.get("kind"));
        assertEquals(5, ((Number) opt.get("step")).intValue());
        assertEquals(List.of("m", "v"), opt.get("buffers"));

        List<Map<String, Object>> blocks = (List<Map<String, Object>>) m.get("layout");
        List<String> names = new ArrayList<>();
        long end = 0;
        for (Map<String, Object> b : blocks) {
            String name = (String) b.get("name");
            names.add(name);
            ParameterLayout.Block expected = layout.block(name);
            assertEquals(expected.offset(), ((Number) b.get("offset")).longValue(), name + " offset");
            long[] shape = ((List<Number>) b.get("shape")).stream().mapToLong(Number::longValue).toArray();
            assertArrayEquals(expected.shape(), shape, name + " shape");
            assertEquals(end, expected.offset(), name + " starts where the previous block ends");
            end += expected.length();
        }
        assertEquals(List.of("W_x", "W_h", "b", "W_y", "b_y"), names);
        assertEquals(layout.count(), end);
        assertEquals(r.parameters().length(), end, "the layout covers theta exactly");
        // Adding task: I = 2, O = 1; H = 4, so the gate width is 16.
        assertArrayEquals(new long[] {2, 16}, layout.block("W_x").shape());
        assertEquals(2 * 16 + 4 * 16 + 16 + 4 + 1, end);

        // The embedded config is explicit (every key) and is the config: hashing it again gives config_hash.
        Map<String, Object> c = (Map<String, Object>) m.get("config");
        assertEquals(-1234567890123456789L, ((Number) c.get("seed")).longValue());
        Map<String, Object> model = (Map<String, Object>) c.get("model");
        assertEquals(4, ((Number) model.get("hidden")).intValue());
        assertEquals("float32", model.get("precision"));
        assertEquals(Set.of("mode", "bias", "tmax", "value"), ((Map<String, Object>) model.get("forget-gate")).keySet());
        CarouselConfig embedded = ConfigLoader.fromConfig(com.typesafe.config.ConfigFactory.parseMap(c));
        assertEquals(m.get("config_hash"), ConfigLoader.hash(embedded));
    }

    @Test
    void filesAreValidNumpyV1WithTheRightHeaderAndPayload() throws IOException {
        for (String precision : List.of("float32", "float64")) {
            CarouselConfig cfg = config(precision);
            TrainResult r = train(cfg);
            Path dir = tmp.resolve("ckpt-" + precision);
            new Checkpoint(cfg, r.parameters(), r.optimizerState(), r.updates()).write(dir, layout(cfg));

            assertEquals(Set.of("manifest.json", "parameters.npy", "optimizer-m.npy", "optimizer-v.npy"), list(dir));
            String descr = precision.equals("float32") ? "<f4" : "<f8";
            Map<String, INDArray> expected = new LinkedHashMap<>();
            expected.put("parameters.npy", r.parameters());
            expected.put("optimizer-m.npy", r.optimizerState().get("m"));
            expected.put("optimizer-v.npy", r.optimizerState().get("v"));
            for (Map.Entry<String, INDArray> e : expected.entrySet()) {
                NpyFile npy = NpyFile.read(dir.resolve(e.getKey()));
                String what = precision + " " + e.getKey();
                assertEquals(descr, npy.descr(), what);
                assertFalse(npy.fortranOrder(), what);
                assertArrayEquals(new long[] {layout(cfg).count()}, npy.shape(), what);
                assertArrayEquals(e.getValue().toDoubleVector(), npy.values(), what + ": payload, read without ND4J");
            }
        }
    }

    @Test
    void parametersAndBuffersThatAreViewsAreWrittenByValue() {
        // theta and the optimiser buffers as slices at a non-zero offset of larger arrays (e.g. from a shared
        // buffer): the checkpoint must hold their values, not the start of the underlying buffer.
        CarouselConfig cfg = config("float32");
        TrainResult r = train(cfg);
        long p = r.parameters().length();
        INDArray theta = sliceOf(r.parameters(), 7);
        OptimizerState state = OptimizerState.of(Map.of("m", sliceOf(r.optimizerState().get("m"), 3)), 5);
        assertTrue(theta.isView() && theta.offset() == 7);

        Path dir = tmp.resolve("ckpt");
        new Checkpoint(cfg, theta, state, 5).write(dir, layout(cfg));
        Checkpoint back = Checkpoint.read(dir);
        assertEquals(p, back.parameters().length());
        assertBitIdentical(r.parameters(), back.parameters(), "parameters");
        assertBitIdentical(r.optimizerState().get("m"), back.optimizerState().get("m"), "m");
    }

    /** A view of {@code a}'s values at offset {@code pad} inside a larger array filled with garbage. */
    private static INDArray sliceOf(INDArray a, long pad) {
        long n = a.length();
        INDArray big = Nd4j.valueArrayOf(new long[] {n + 2 * pad}, 99.0, a.dataType());
        INDArray view = big.get(NDArrayIndex.interval(pad, pad + n));
        view.assign(a);
        return view;
    }

    @Test
    void writingOverAnOlderCheckpointLeavesNoStaleFiles() {
        CarouselConfig adamCfg = config("float32");
        TrainResult adam = train(adamCfg);
        Path dir = tmp.resolve("ckpt");
        new Checkpoint(adamCfg, adam.parameters(), adam.optimizerState(), 5).write(dir, layout(adamCfg));

        CarouselConfig rmsCfg = ConfigLoader.parse("seed = 2\ntask { name = adding, length = 6, validation-sequences = 8 }\n"
                + "model.hidden = 4\noptimizer.name = rmsprop\ntraining { batch-size = 3, updates = 2, eval-every = 2 }\n"
                + "probes.enabled = false\n", "test");
        TrainResult rms = train(rmsCfg);
        new Checkpoint(rmsCfg, rms.parameters(), rms.optimizerState(), 2).write(dir, layout(rmsCfg));

        assertEquals(Set.of("manifest.json", "parameters.npy", "optimizer-ms.npy"), list(dir),
                "the Adam buffers of the old checkpoint must be gone");
        assertEquals(Set.of("ckpt"), list(tmp));
        Checkpoint back = Checkpoint.read(dir);
        assertEquals(rmsCfg, back.config());
        assertEquals(List.of("ms"), back.optimizerState().names());
        assertEquals(2, back.update());
    }

    @Test
    void aStateWithoutBuffersRoundTrips() {
        // Plain SGD (momentum 0) has no buffers at all; step still counts.
        CarouselConfig cfg = ConfigLoader.parse("task { name = adding, length = 6, validation-sequences = 8 }\n"
                + "model.hidden = 4\noptimizer { name = sgd, momentum = 0, learning-rate = 0.1 }\n"
                + "training { batch-size = 3, updates = 3, eval-every = 3 }\nprobes.enabled = false\n", "test");
        TrainResult r = train(cfg);
        assertEquals(List.of(), r.optimizerState().names());
        Path dir = tmp.resolve("ckpt");
        new Checkpoint(cfg, r.parameters(), r.optimizerState(), 3).write(dir, layout(cfg));
        assertEquals(Set.of("manifest.json", "parameters.npy"), list(dir));
        Checkpoint back = Checkpoint.read(dir);
        assertEquals(List.of(), back.optimizerState().names());
        assertEquals(3, back.optimizerState().step());
        assertBitIdentical(r.parameters(), back.parameters(), "parameters");
    }

    // ---------------------------------------------------------------------------------------------
    // errors

    private Path validCheckpoint() {
        CarouselConfig cfg = config("float32");
        TrainResult r = train(cfg);
        Path dir = tmp.resolve("ckpt");
        new Checkpoint(cfg, r.parameters(), r.optimizerState(), r.updates()).write(dir, layout(cfg));
        return dir;
    }

    @Test
    void readingAMissingDirectoryNamesIt() {
        Path dir = tmp.resolve("no-such-checkpoint");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    @Test
    void readingADirectoryWithoutManifestNamesIt() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("empty"));
        Files.writeString(dir.resolve("parameters.npy"), "not relevant");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
    }

    @Test
    void readingAnotherFormatNamesTheManifestAndBothFormats() {
        Path dir = validCheckpoint();
        Path manifest = dir.resolve("manifest.json");
        Map<String, Object> m = Json.read(manifest);
        m.put("format", "carousel-probe/1");
        Json.write(manifest, m);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains(manifest.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("carousel-probe/1"), e.getMessage());
        assertTrue(e.getMessage().contains(Checkpoint.FORMAT), e.getMessage());
    }

    @Test
    void readingAManifestWithoutFormatFails() {
        Path dir = validCheckpoint();
        Path manifest = dir.resolve("manifest.json");
        Map<String, Object> m = Json.read(manifest);
        m.remove("format");
        Json.write(manifest, m);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains(manifest.toString()), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"parameters.npy", "optimizer-m.npy", "optimizer-v.npy"})
    void readingWithAMissingArrayFileNamesThatFile(String file) throws IOException {
        Path dir = validCheckpoint();
        Files.delete(dir.resolve(file));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains(dir.resolve(file).toString()), e.getMessage());
    }

    private static Set<String> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
