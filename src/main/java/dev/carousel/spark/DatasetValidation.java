package dev.carousel.spark;

import static dev.carousel.spark.FileDataset.MAX_CLASSES;
import static dev.carousel.spark.FileDataset.MILLION;
import static dev.carousel.spark.FileFormats.bad;

import dev.carousel.data.LossKind;
import dev.carousel.data.Supervision;
import dev.carousel.nn.Precision;
import dev.carousel.spark.FileDataset.Format;
import dev.carousel.spark.FileDataset.Plan;
import dev.carousel.spark.FileDataset.Sequence;
import dev.carousel.spark.FileFormats.Layout;
import dev.carousel.spark.FileFormats.Read;
import dev.carousel.spark.Located.ByPosition;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.storage.StorageLevel;

/**
 * The dataset-wide checks of {@link FileDataset}, run once a reader has turned the files into {@link Candidate}s:
 * no candidate has a problem of its own, every sequence has the same steps, features and target size, labels fit
 * the classes, and a validation fraction holds something out. Each check reports its first offending row in
 * (file, row) order. The valid candidates become {@link Sequence}s in the network's form, in dataset order.
 */
final class DatasetValidation {
    private DatasetValidation() {}

    /** The model's sequence length T, outputs O and where the loss applies. */
    private record Supervised(int steps, int outputs, Supervision supervision) {}

    /**
     * Checks the candidates {@code c} that {@code read} found and builds the dataset from them; {@code ppm} is the
     * validation fraction in millionths.
     */
    static FileDataset validate(Format fmt, DataLocation path, Read read, JavaRDD<Candidate> c, int sequenceLength,
                                long ppm, int numClasses, Precision precision) {
        List<Candidate> firstBad = c.filter(x -> x.problem() != null).takeOrdered(1, new ByPosition<Candidate>());
        if (!firstBad.isEmpty()) {
            throw bad(firstBad.get(0).where() + ": " + firstBad.get(0).problem());
        }
        if (precision == Precision.FLOAT32 && read.layout() != Layout.TEXT) {
            requireFloat32(c, read.layout());
        }
        long n = c.count();
        if (n == 0) {
            throw bad(path + ": no rows; expected one row per sequence");
        }
        Layout layout = read.layout();
        int stepsRequired = -1;
        String why = "";
        if (sequenceLength > 0 && fmt != Format.TEXT) {
            stepsRequired = layout == Layout.CSV_NEXT_STEP ? sequenceLength + 1 : sequenceLength;
            why = layout == Layout.CSV_NEXT_STEP ? "(sequence length " + sequenceLength + " + 1 for next-step targets)"
                    : "(the given sequence length)";
        }
        String subject = read.stepsSubject();
        int stored = agree(c, Candidate::steps, stepsRequired, why, n, v -> subject + " has " + plural(v, "step"));
        int inputs = agree(c, Candidate::features, -1, "", n, v -> subject + " has " + plural(v, "feature") + " per step");
        Supervised s = supervise(layout, c, n, stored, inputs, numClasses);
        List<Candidate> late = c.filter(x -> x.late() != null).takeOrdered(1, new ByPosition<Candidate>());
        if (!late.isEmpty()) {
            throw bad(late.get(0).late());
        }
        long heldOut = n * ppm / MILLION;
        if (ppm > 0 && heldOut == 0) {
            throw bad(path + ": validation fraction " + ppm / (double) MILLION + " of " + n
                    + " sequences holds out none; expected at least one held-out sequence");
        }
        Plan plan = new Plan(layout, s.steps(), inputs, s.outputs());
        JavaRDD<Sequence> sequences = c.sortBy(Candidate::order, true, Math.max(1, c.getNumPartitions()))
                .zipWithIndex()
                .map(t -> expand(t._1(), t._2(), plan))
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        sequences.count(); // materialise before the candidates are released
        return new FileDataset(fmt, path, plan, s.supervision(), n, ppm, read.vocabulary(), sequences);
    }

    /**
     * Refuses the first (file, row) holding a value beyond ±{@link Float#MAX_VALUE}: finite as a double, infinite
     * once the float32 engine converts it, so the run would diverge at its first update. The value is named as its
     * format names it: {@code features[t][i]} and {@code target[o]} in Parquet, {@code xI at t = s} and {@code y}
     * in CSV.
     */
    private static void requireFloat32(JavaRDD<Candidate> c, Layout layout) {
        List<Candidate> over = c.filter(x -> firstBeyondFloat(x.x()) >= 0 || firstBeyondFloat(x.y()) >= 0)
                .takeOrdered(1, new ByPosition<Candidate>());
        if (over.isEmpty()) {
            return;
        }
        Candidate b = over.get(0);
        boolean parquet = layout == Layout.PARQUET_TARGET || layout == Layout.PARQUET_LABEL;
        int at = firstBeyondFloat(b.x());
        String name;
        double v;
        if (at >= 0) {
            int step = at / b.features();
            int feature = at % b.features();
            name = parquet ? "features[" + step + "][" + feature + "]" : "x" + (feature + 1) + " at t = " + step;
            v = b.x()[at];
        } else {
            at = firstBeyondFloat(b.y());
            name = parquet ? "target[" + at + "]" : "y";
            v = b.y()[at];
        }
        throw bad(b.where() + ": " + name + " = " + v + " is beyond float32's range (|x| <= " + Float.MAX_VALUE
                + "); expected a number float32 can hold for model.precision = float32 (or model.precision = float64)");
    }

    /** Index of the first value of {@code values} beyond float32's range, or −1 (also for null). */
    static int firstBeyondFloat(double[] values) {
        if (values == null) {
            return -1;
        }
        for (int i = 0; i < values.length; i++) {
            if (Math.abs(values[i]) > Float.MAX_VALUE) {
                return i;
            }
        }
        return -1;
    }

    /** The model's T, O and loss steps for {@code layout}, given the stored steps and I every sequence shares. */
    private static Supervised supervise(Layout layout, JavaRDD<Candidate> c, long n, int stored, int inputs,
                                        int numClasses) {
        int steps = stored;
        int outputs;
        Supervision supervision;
        switch (layout) {
            case PARQUET_TARGET -> {
                outputs = agree(c, Candidate::targetSize, -1, "", n, v -> "target has " + plural(v, "value"));
                supervision = Supervision.lastStep(LossKind.MSE, steps);
            }
            case PARQUET_LABEL -> {
                long max = c.map(Candidate::label).reduce(Math::max);
                if (numClasses > 0 && max >= numClasses) {
                    Candidate b = c.filter(x -> x.label() >= numClasses).takeOrdered(1, new ByPosition<Candidate>()).get(0);
                    throw bad(b.where() + ": label is " + b.label() + "; expected a class index in [0, " + numClasses
                            + ") for " + numClasses + " classes");
                }
                if (numClasses == 0 && max >= MAX_CLASSES) {
                    Candidate b = c.filter(x -> x.label() == max).takeOrdered(1, new ByPosition<Candidate>()).get(0);
                    throw bad(b.where() + ": label is " + b.label() + "; expected a class index below " + MAX_CLASSES
                            + " (O = max label + 1 one-hot outputs)");
                }
                outputs = numClasses > 0 ? numClasses : (int) max + 1;
                supervision = Supervision.lastStep(LossKind.CROSS_ENTROPY, steps);
            }
            case CSV_TARGET -> {
                outputs = 1;
                supervision = Supervision.lastStep(LossKind.MSE, steps);
            }
            case CSV_NEXT_STEP -> {
                steps = stored - 1;
                if (steps < 1) {
                    Candidate b = c.takeOrdered(1, new ByPosition<Candidate>()).get(0);
                    throw bad(b.where() + ": sequence has 1 step; next-step prediction (no y column) needs at least 2");
                }
                outputs = inputs;
                supervision = Supervision.everyStep(LossKind.MSE, steps);
            }
            case TEXT -> {
                outputs = inputs;
                supervision = Supervision.everyStep(LossKind.CROSS_ENTROPY, steps);
            }
            default -> throw new IllegalStateException("unknown layout " + layout);
        }
        return new Supervised(steps, outputs, supervision);
    }

    /**
     * The value every sequence must share: {@code required} if ≥ 0, else the most common one (on a tie,
     * the first row's). Throws naming the first row that differs.
     */
    private static int agree(JavaRDD<Candidate> c, Function<Candidate, Integer> value, int required, String why, long n,
                             IntFunction<String> says) {
        Map<Integer, Long> counts = c.map(value).countByValue();
        int expected;
        String basis;
        if (required >= 0) {
            expected = required;
            basis = why;
        } else {
            long top = counts.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            Set<Integer> modes = new HashSet<>();
            counts.forEach((v, k) -> {
                if (k == top) {
                    modes.add(v);
                }
            });
            expected = modes.size() == 1 ? modes.iterator().next()
                    : call(value, c.filter(x -> modes.contains(value.call(x))).takeOrdered(1, new ByPosition<Candidate>()).get(0));
            basis = "like " + top + " of " + n + " sequences";
        }
        if (counts.size() == 1 && counts.containsKey(expected)) {
            return expected;
        }
        int e = expected;
        Candidate b = c.filter(x -> value.call(x) != e).takeOrdered(1, new ByPosition<Candidate>()).get(0);
        throw bad(b.where() + ": " + says.apply(call(value, b)) + ", expected " + expected + " " + basis);
    }

    private static String plural(int count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    private static int call(Function<Candidate, Integer> f, Candidate c) {
        try {
            return f.call(c);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A candidate in the network's form. */
    private static Sequence expand(Candidate c, long index, Plan p) {
        int t = p.steps();
        int in = p.inputs();
        int out = p.outputs();
        return switch (p.layout()) {
            case PARQUET_TARGET, CSV_TARGET -> new Sequence(index, c.x(), c.y());
            case PARQUET_LABEL -> {
                double[] y = new double[out];
                y[(int) c.label()] = 1;
                yield new Sequence(index, c.x(), y);
            }
            case CSV_NEXT_STEP -> new Sequence(index, Arrays.copyOfRange(c.x(), 0, t * in),
                    Arrays.copyOfRange(c.x(), in, (t + 1) * in));
            case TEXT -> {
                double[] x = new double[t * in];
                double[] y = new double[t * out];
                for (int s = 0; s < t; s++) {
                    x[s * in + (int) c.x()[s]] = 1;
                    y[s * out + (int) c.x()[s + 1]] = 1;
                }
                yield new Sequence(index, x, y);
            }
        };
    }
}
