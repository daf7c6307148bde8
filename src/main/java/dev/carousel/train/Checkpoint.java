package dev.carousel.train;

import dev.carousel.io.AtomicDirectory;
import dev.carousel.io.Json;
import com.typesafe.config.ConfigFactory;
import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.nn.ParameterLayout;
import dev.carousel.optim.OptimizerState;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A model checkpoint as plain files any tool can read — never Java serialization:
 * <pre>
 *   manifest.json        format, config (explicit, HOCON-as-JSON), config hash, update count,
 *                        parameter layout (block name, offset, shape), optimiser kind, step, buffers
 *   parameters.npy       θ: [P]
 *   optimizer-NAME.npy   one flat optimiser buffer per name: [P]
 * </pre>
 * Written through {@link AtomicDirectory}, so a reader never sees a partial checkpoint.
 */
public record Checkpoint(CarouselConfig config, INDArray parameters, OptimizerState optimizerState, long update) {
    public static final String FORMAT = "carousel-checkpoint/1";

    public void write(Path dir, ParameterLayout layout) {
        write(dir, layout, staging -> { });
    }

    /**
     * Writes the checkpoint and whatever {@code extras} adds to the staging directory (e.g. training
     * progress), all committed in the same atomic rename.
     */
    public void write(Path dir, ParameterLayout layout, java.util.function.Consumer<Path> extras) {
        try (AtomicDirectory out = AtomicDirectory.begin(dir)) {
            extras.accept(out.staging());
            writeInto(out.staging(), layout);
            out.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes the checkpoint's files into the existing folder {@code s} (whose commit is the caller's). */
    public void writeInto(Path s, ParameterLayout layout) throws IOException {
        writeNpy(parameters, s.resolve("parameters.npy"));
        for (String name : optimizerState.names()) {
            writeNpy(optimizerState.get(name), s.resolve("optimizer-" + name + ".npy"));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("config_hash", ConfigLoader.hash(config));
        m.put("update", update);
        m.put("dtype", parameters.dataType().name().toLowerCase());
        m.put("parameters", "parameters.npy");
        m.put("layout", layoutManifest(layout));
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("kind", config.optimizer().kind().name().toLowerCase());
        opt.put("step", optimizerState.step());
        opt.put("buffers", optimizerState.names());
        m.put("optimizer", opt);
        m.put("config", ConfigLoader.toConfig(config).root().unwrapped());
        Json.write(s.resolve("manifest.json"), m);
    }

    /**
     * Nd4j.writeAsNumpy writes the underlying buffer from its start, ignoring a view's offset and strides, so
     * a view (e.g. a slice of a larger array) is copied into a fresh C-ordered array first.
     */
    private static void writeNpy(INDArray array, Path file) throws IOException {
        Nd4j.writeAsNumpy(array.dup('c'), file.toFile());
    }

    static List<Map<String, Object>> layoutManifest(ParameterLayout layout) {
        List<Map<String, Object>> blocks = new ArrayList<>();
        for (ParameterLayout.Block b : layout.blocks().values()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", b.name());
            e.put("offset", b.offset());
            e.put("shape", b.shape());
            blocks.add(e);
        }
        return blocks;
    }

    /** Reads a checkpoint; errors name the directory and the missing or bad file. */
    @SuppressWarnings("unchecked")
    public static Checkpoint read(Path dir) {
        Path manifest = dir.resolve("manifest.json");
        if (!Files.isRegularFile(manifest)) {
            throw new IllegalArgumentException("checkpoint " + dir + ": no manifest.json (is this a checkpoint directory?)");
        }
        Map<String, Object> m;
        try {
            m = Json.read(manifest);
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalArgumentException(manifest + ": not valid JSON: " + e.getCause().getMessage(), e);
        }
        if (!FORMAT.equals(m.get("format"))) {
            throw new IllegalArgumentException(manifest + ": format is " + m.get("format") + ", expected " + FORMAT);
        }
        for (String key : new String[] {"config", "parameters", "optimizer", "update"}) {
            if (m.get(key) == null) {
                throw new IllegalArgumentException(manifest + ": missing field '" + key + "'");
            }
        }
        CarouselConfig config = ConfigLoader.fromConfig(ConfigFactory.parseMap((Map<String, Object>) m.get("config"),
                manifest.toString()));
        INDArray theta = readNpy(dir.resolve((String) m.get("parameters")));
        Map<String, Object> opt = (Map<String, Object>) m.get("optimizer");
        Map<String, INDArray> buffers = new LinkedHashMap<>();
        for (String name : (List<String>) opt.get("buffers")) {
            buffers.put(name, readNpy(dir.resolve("optimizer-" + name + ".npy")));
        }
        long step = ((Number) opt.get("step")).longValue();
        return new Checkpoint(config, theta, OptimizerState.of(buffers, step), ((Number) m.get("update")).longValue());
    }

    static INDArray readNpy(Path file) {
        File f = file.toFile();
        if (!f.isFile()) {
            throw new IllegalArgumentException("checkpoint file missing: " + file);
        }
        return Nd4j.createFromNpyFile(f);
    }
}
