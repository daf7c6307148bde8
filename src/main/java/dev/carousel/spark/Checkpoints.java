package dev.carousel.spark;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.io.AtomicDirectory;
import dev.carousel.train.Checkpoint;
import dev.carousel.io.Json;
import dev.carousel.stats.StepStats;
import dev.carousel.train.CurvePoint;
import dev.carousel.train.RunSetup;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.carousel.store.Folders;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Round checkpoints of a distributed run: {@code DIR/round-NNNNNNNN/} holds a {@link Checkpoint} (θ and
 * optimiser state as .npy, manifest.json) plus {@code progress.json} (update, curve, the open training
 * window) and {@code stats-UPDATE.bin} (per-step statistics, Carousel's own versioned binary format),
 * all committed together as one {@link Folders} folder, on any Hadoop file system. Resuming from one reproduces the uninterrupted run exactly.
 */
final class Checkpoints {
    private static final Pattern ROUND = Pattern.compile("round-(\\d{8})");

    private Checkpoints() {}

    static void write(Path dir, Configuration conf, RunSetup setup, long round, DistributedTrainer.Progress p) {
        Path target = new Path(dir, String.format("round-%08d", round));
        Checkpoint ck = new Checkpoint(setup.config(), p.theta(), p.state(), p.update());
        Folders.write(target, conf, s -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("round", round);
            m.put("update", p.update());
            List<Map<String, Object>> curve = new ArrayList<>();
            for (CurvePoint c : p.curve()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("update", c.update());
                e.put("sequences_seen", c.sequencesSeen());
                e.put("train_loss", Double.doubleToRawLongBits(c.trainLoss()));
                e.put("validation_loss", Double.doubleToRawLongBits(c.validationLoss()));
                e.put("validation_metric", Double.doubleToRawLongBits(c.validationMetric()));
                e.put("grad_norm", Double.doubleToRawLongBits(c.gradNorm()));
                curve.add(e);
            }
            m.put("curve_bits", curve); // raw IEEE bits: decimal JSON would not round-trip NaN and may lose ulps
            m.put("window_bits", List.of(Double.doubleToRawLongBits(p.window()[0]),
                    Double.doubleToRawLongBits(p.window()[1]), (long) p.window()[2]));
            m.put("stats", new ArrayList<>(p.stats().keySet()));
            Json.write(s.resolve("progress.json"), m);
            for (Map.Entry<Long, StepStats> e : p.stats().entrySet()) {
                Files.write(s.resolve("stats-" + e.getKey() + ".bin"), e.getValue().toByteArray());
            }
            ck.writeInto(s, setup.spec().layout());
        });
        // Keep the two newest: enough to survive a crash while the next one is written.
        List<Path> all = rounds(dir, conf);
        for (int i = 0; i + 2 < all.size(); i++) {
            deleteQuietly(all.get(i), conf);
        }
    }

    /** The newest committed checkpoint in {@code dir} for this config, or null if there is none. */
    static DistributedTrainer.Progress newest(Path dir, Configuration conf, CarouselConfig config) {
        if (Folders.isLocal(dir) && Files.isDirectory(Folders.local(dir))) {
            AtomicDirectory.cleanStale(Folders.local(dir));
        }
        List<Path> all = rounds(dir, conf);
        if (all.isEmpty()) {
            return null;
        }
        Path last = all.get(all.size() - 1);
        return Folders.read(last, conf, local -> read(local, last, config));
    }

    /** The progress held by checkpoint folder {@code dir} (a local copy of {@code name}). */
    @SuppressWarnings("unchecked")
    private static DistributedTrainer.Progress read(java.nio.file.Path dir, Path name, CarouselConfig config) {
        java.nio.file.Path last = dir;
        Checkpoint ck = Checkpoint.read(last);
        if (!ConfigLoader.hash(ck.config()).equals(ConfigLoader.hash(config))) {
            throw new IllegalArgumentException("checkpoint " + name + " belongs to config " + ConfigLoader.hash(ck.config())
                    + ", not " + ConfigLoader.hash(config) + "; use another --out or remove it");
        }
        Map<String, Object> m = Json.read(last.resolve("progress.json"));
        List<CurvePoint> curve = new ArrayList<>();
        for (Map<String, Object> e : (List<Map<String, Object>>) m.get("curve_bits")) {
            curve.add(new CurvePoint(num(e.get("update")), num(e.get("sequences_seen")), bits(e.get("train_loss")),
                    bits(e.get("validation_loss")), bits(e.get("validation_metric")), bits(e.get("grad_norm"))));
        }
        List<Object> w = (List<Object>) m.get("window_bits");
        double[] window = {bits(w.get(0)), bits(w.get(1)), num(w.get(2))};
        SortedMap<Long, StepStats> stats = new TreeMap<>();
        try {
            for (Object k : (List<Object>) m.get("stats")) {
                long update = num(k);
                stats.put(update, StepStats.fromByteArray(Files.readAllBytes(last.resolve("stats-" + update + ".bin"))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read statistics of checkpoint " + name + ": " + e.getMessage(), e);
        }
        return new DistributedTrainer.Progress(ck.parameters(), ck.optimizerState(), ck.update(), curve, stats, window);
    }

    private static long num(Object o) {
        return ((Number) o).longValue();
    }

    private static double bits(Object o) {
        return Double.longBitsToDouble(num(o));
    }

    /** Committed round directories, oldest first. */
    static List<Path> rounds(Path dir, Configuration conf) {
        return Folders.list(dir, conf).stream().filter(p -> ROUND.matcher(p.getName()).matches()).toList();
    }

    private static void deleteQuietly(Path p, Configuration conf) {
        try {
            Folders.discard(p, conf); // a reader never sees a half-deleted checkpoint
        } catch (UncheckedIOException e) {
            // an old checkpoint left behind is harmless; the next write tries again
        }
    }
}
