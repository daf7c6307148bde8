package dev.carousel.spark;

import static dev.carousel.spark.FileFormats.bad;

import dev.carousel.data.LossKind;
import dev.carousel.nn.Precision;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import dev.carousel.spark.FileFormats.Layout;
import dev.carousel.spark.FileFormats.Read;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * A sequence dataset read from files through Spark, validated in full before any training, and cut into
 * one {@link FileShard} per Spark partition.
 *
 * <h2>Layouts</h2>
 * <ul>
 *   <li><b>parquet</b>: one row per sequence; {@code features: array<array<float>>} shaped [T][I] and
 *       either {@code target: array<float>} (regression: O = its length, MSE at the last step) or
 *       {@code label: int} (classification: one-hot over O = max label + 1 classes unless
 *       {@code numClasses} is given, cross-entropy at the last step). Double elements and long/short/byte
 *       labels are accepted too. Rows are named by their 0-based index within their file
 *       ({@code _metadata.row_index}).</li>
 *   <li><b>csv</b>: a header, then one line per step {@code seq_id, t, x1..xI[, y]}, columns found by
 *       name (any order; x columns ordered x1, x2, …, x10 by number). Each seq_id needs every t = 0..T−1
 *       exactly once, in any line order and possibly across files. With a {@code y} column, y at the last
 *       step is the target (MSE at the last step, O = 1; y on other lines may be empty and is ignored once
 *       checked to be numeric). Without one, the task is next-step prediction: inputs x_0..x_{T−2},
 *       targets x_1..x_{T−1}, MSE at every step, so the model's T is one less than the stored steps and
 *       O = I. Lines are named file:line (1-based, the header is line 1); blank lines are skipped.</li>
 *   <li><b>text</b>: character-level modelling; vocabulary = the sorted set of characters (Unicode code
 *       points) of all files; each file is cut into windows of T+1 characters at stride T (windows never
 *       cross files, a shorter tail is dropped); inputs one-hot of characters 0..T−1, targets one-hot of
 *       characters 1..T, cross-entropy at every step; I = O = vocabulary size.</li>
 * </ul>
 * A path may be a file or a directory; in a directory, files whose names start with '.' or '_' are
 * skipped, as Spark does.
 *
 * <h2>Validation</h2>
 * {@link #open} reads everything and throws an {@link IllegalArgumentException} with a one-line message
 * naming the file and row (or line) and what was expected, for: missing path, unreadable or empty file or no rows,
 * a file that is not Parquet or whose features/target/label types differ from the dataset's (read from the
 * footers on the driver, before any Spark task; a read that still fails inside a task is reported the same way),
 * ragged sequences (a different number of steps, or a step with a different number of features, than the
 * others; "the others" is the most common value, or the first row's on a tie), non-numeric CSV fields,
 * NaN/±Inf/null values, target arrays whose length differs between rows, negative labels (or labels ≥
 * numClasses), missing or repeated CSV steps. Checks run in stages (files; headers; each row or line on its
 * own; agreement between rows; labels) and each stage reports its first offending row in (file, row)
 * order, so the message does not depend on how Spark split the work. Nothing is kept unless all is valid;
 * when the files change while a dataset is in use, Spark recomputing a lost partition could read them again.
 *
 * <h2>Order, shards and the held-out split</h2>
 * A sequence's dataset index is its rank in a stable order that never depends on how Spark read the files:
 * (file URI, row index) for Parquet, (file URI, window) for text, seq_id for CSV (canonical integers
 * numerically, before any other ids, which sort as strings). With a validation fraction f, sequence i is
 * held out iff ⌊(i+1)·f⌋ > ⌊i·f⌋ (f rounded to millionths, integer arithmetic): every (1/f)-th sequence,
 * ⌊n·f⌋ of n in all. The others, in index order, are dealt to partitions round-robin: the j-th training
 * sequence goes to partition j mod N.
 */
public final class FileDataset implements AutoCloseable {
    static final long MILLION = 1_000_000L;
    /** Most classes a label column may imply: targets are dense one-hot rows of O values. */
    public static final int MAX_CLASSES = 65_536;

    /** The file layouts. */
    public enum Format {
        PARQUET, CSV, TEXT;

        static Format parse(String name, DataLocation path) {
            if (name != null) {
                switch (name.strip().toLowerCase(Locale.ROOT)) {
                    case "parquet":
                        return PARQUET;
                    case "csv":
                        return CSV;
                    case "text":
                    case "txt":
                        return TEXT;
                    default:
                        break;
                }
            }
            throw bad((path == null ? "" : path + ": ") + "format " + (name == null ? "null" : FileFormats.quote(name))
                    + " is not supported; expected parquet, csv or text");
        }
    }

    /** One validated sequence, in the network's form: inputs [T × I], targets [loss steps × O]. */
    record Sequence(long index, double[] inputs, double[] targets) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** What {@link DatasetValidation} needs on the executors to put a candidate in the network's form. */
    record Plan(Layout layout, int steps, int inputs, int outputs) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private final Format format;
    private final DataLocation path;
    private final int steps;
    private final int inputSize;
    private final int outputSize;
    private final Supervision supervision;
    private final long size;
    private final long heldOutPpm;
    private final String vocabulary;
    private final JavaRDD<Sequence> sequences;

    FileDataset(Format format, DataLocation path, Plan plan, Supervision supervision, long size, long heldOutPpm,
                        String vocabulary, JavaRDD<Sequence> sequences) {
        this.format = format;
        this.path = path;
        this.steps = plan.steps();
        this.inputSize = plan.inputs();
        this.outputSize = plan.outputs();
        this.supervision = supervision;
        this.size = size;
        this.heldOutPpm = heldOutPpm;
        this.vocabulary = vocabulary;
        this.sequences = sequences;
    }

    /** Opens and validates a dataset with no held-out split; {@code sequenceLength} as in the full form. */
    public static FileDataset open(SparkSession spark, String format, java.nio.file.Path path, int sequenceLength) {
        return open(spark, format, path, sequenceLength, 0.0, 0);
    }

    /** Opens and validates a dataset holding out {@code validationFraction} of it; see the class comment. */
    public static FileDataset open(SparkSession spark, String format, java.nio.file.Path path, int sequenceLength,
                                   double validationFraction) {
        return open(spark, format, path, sequenceLength, validationFraction, 0);
    }

    /** The local dataset {@code path}; see {@link #open(SparkSession, String, DataLocation, int, double, int)}. */
    public static FileDataset open(SparkSession spark, String format, java.nio.file.Path path, int sequenceLength,
                                   double validationFraction, int numClasses) {
        return open(spark, format, path == null ? null : DataLocation.local(path), sequenceLength, validationFraction,
                numClasses);
    }

    /**
     * Reads and validates the whole dataset at {@code path}; see the class comment for layouts and checks.
     *
     * @param format             {@code parquet}, {@code csv} or {@code text}
     * @param path               a file or a directory of files, on any Hadoop file system (read by executors)
     * @param sequenceLength     text: the window length T (required, ≥ 1); Parquet and CSV: 0 to take T from
     *                           the data, or the T every sequence must have (the model's T: for CSV without
     *                           y, one less than the stored steps)
     * @param validationFraction share of sequences held out, in [0, 1)
     * @param numClasses         Parquet labels: the number of classes O, or 0 for max label + 1; else 0
     * @throws IllegalArgumentException one line naming the file and row and what was expected
     */
    public static FileDataset open(SparkSession spark, String format, DataLocation path, int sequenceLength,
                                   double validationFraction, int numClasses) {
        return open(spark, format, path, sequenceLength, validationFraction, numClasses, Precision.FLOAT64);
    }

    /**
     * Reads and validates the whole dataset at {@code path} as {@link #open(SparkSession, String, DataLocation, int,
     * double, int)} does, and refuses values the engine's {@code precision} cannot hold: under float32 a finite
     * double beyond ±{@link Float#MAX_VALUE} (such as 1e39) would become infinite in the network's first step.
     */
    public static FileDataset open(SparkSession spark, String format, DataLocation path, int sequenceLength,
                                   double validationFraction, int numClasses, Precision precision) {
        Format fmt = Format.parse(format, path);
        if (path == null) {
            throw bad("dataset path is missing");
        }
        if (fmt == Format.TEXT ? sequenceLength < 1 : sequenceLength < 0) {
            throw bad(path + ": sequence length " + sequenceLength + (fmt == Format.TEXT
                    ? " is out of range; text needs a window length T >= 1" : " is out of range; expected 0 (from the data) or T >= 1"));
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw bad(path + ": validation fraction " + validationFraction + " is out of range; expected [0, 1)");
        }
        if (numClasses < 0 || numClasses > MAX_CLASSES) {
            throw bad(path + ": number of classes " + numClasses + " is out of range; expected 0 (from the labels) or 1.."
                    + MAX_CLASSES);
        }
        List<DataLocation> files = DatasetFiles.checkFiles(spark.sparkContext().hadoopConfiguration(), fmt, path, sequenceLength);

        try {
            Read read = switch (fmt) {
                case PARQUET -> ParquetFormat.read(spark, path, files);
                case CSV -> CsvFormat.read(spark, path);
                case TEXT -> TextFormat.read(spark, path, sequenceLength);
            };
            if (numClasses > 0 && read.layout() != Layout.PARQUET_LABEL) {
                throw bad(path + ": a number of classes applies to Parquet label columns only, this is " + read.layout());
            }
            JavaRDD<Candidate> c = read.candidates().persist(StorageLevel.MEMORY_AND_DISK_SER());
            try {
                return DatasetValidation.validate(fmt, path, read, c, sequenceLength, Math.round(validationFraction * MILLION),
                        numClasses, precision);
            } finally {
                // Blocking: a caller that stops Spark right after a rejection (the CLI on bad data) would otherwise
                // see the pending removal callbacks rejected, with a stack trace on stderr.
                c.unpersist(true);
                read.transients().forEach(r -> r.unpersist(true));
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) { // SparkException is a checked exception that Scala code throws undeclared
            // A Spark job that failed reading the files (a column typed differently in another file, a corrupt or
            // truncated file, an I/O error) is bad input like any other; anything else is ours and propagates.
            String reason = FileFormats.readFailure(e);
            if (reason == null) {
                throw e;
            }
            throw bad(path + ": cannot be read as " + fmt.name().toLowerCase(Locale.ROOT) + ": " + reason
                    + "; expected " + switch (fmt) {
                        case PARQUET -> "every file to hold features: array<array<float>> and the same target or label "
                                + "column, with the same types";
                        case CSV, TEXT -> "readable UTF-8 text files";
                    });
        }
    }

    /**
     * Reads and validates the sequences of a DataFrame in the Parquet layout (see {@code DataFrameFormat}: the
     * features column [T][I], a label column holding a target array, a target number or a class label), with the
     * checks, held-out split and shards of a file dataset. A row's dataset index is its position in the DataFrame.
     *
     * @throws IllegalArgumentException one line naming the row ({@code DataFrame row N}) and what was expected
     */
    public static FileDataset fromDataFrame(org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> df, String featuresCol,
                                            String labelCol, double validationFraction, Precision precision) {
        DataLocation name = new DataLocation(new org.apache.hadoop.fs.Path(DataFrameFormat.NAME));
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw bad(name + ": validation fraction " + validationFraction + " is out of range; expected [0, 1)");
        }
        Read read = DataFrameFormat.read(df, featuresCol, labelCol);
        JavaRDD<Candidate> c = read.candidates().persist(StorageLevel.MEMORY_AND_DISK_SER());
        try {
            return DatasetValidation.validate(Format.PARQUET, name, read, c, 0, Math.round(validationFraction * MILLION),
                    0, precision);
        } finally {
            c.unpersist(true); // blocking, as in open
            read.transients().forEach(r -> r.unpersist(true));
        }
    }

    /** The dataset's shape and all its held-out sequences as one batch, what a run on it needs beyond the config. */
    public dev.carousel.train.FileData fileData() {
        int held = Math.toIntExact(validationSize());
        return new dev.carousel.train.FileData(steps, inputSize, outputSize, supervision, validationBatches(held).get(0));
    }

    /**
     * The training data as one {@link FileShard} per partition, persisted MEMORY_ONLY_SER and already
     * computed: partition p holds the training sequences whose rank j among training sequences (in
     * dataset-index order) has j mod N = p, and orders its batches by {@code seed}. The caller unpersists it
     * when done.
     */
    public JavaRDD<Shard> shards(int partitions, long seed) {
        long train = trainingSize();
        if (partitions < 1 || partitions > train) {
            throw bad(path + ": " + partitions + " partitions for " + train
                    + " training sequences; expected 1..number of training sequences, so that no shard is empty");
        }
        long ppm = heldOutPpm;
        int t = steps;
        int in = inputSize;
        int out = outputSize;
        LossKind kind = supervision.kind();
        int[] lossSteps = supervision.steps();
        JavaRDD<Shard> shards = sequences.filter(s -> !heldOut(s.index(), ppm))
                .mapToPair(s -> new Tuple2<>((int) (trainingRank(s.index(), ppm) % partitions), s))
                .partitionBy(new HashPartitioner(partitions)) // an Integer key k in [0, N) lands in partition k
                .mapPartitionsWithIndex((p, it) -> {
                    List<Sequence> mine = new ArrayList<>();
                    it.forEachRemaining(kv -> mine.add(kv._2()));
                    mine.sort(Comparator.comparingLong(Sequence::index));
                    long[] indices = new long[mine.size()];
                    double[][] x = new double[mine.size()][];
                    double[][] y = new double[mine.size()][];
                    for (int s = 0; s < indices.length; s++) {
                        indices[s] = mine.get(s).index();
                        x[s] = mine.get(s).inputs();
                        y[s] = mine.get(s).targets();
                    }
                    Shard shard = new FileShard(p, seed, t, in, out, new Supervision(kind, lossSteps), indices, x, y);
                    return List.of(shard).iterator();
                }, true)
                .persist(StorageLevel.MEMORY_ONLY_SER());
        shards.count(); // build them now, while the validated sequences are held
        return shards;
    }

    /**
     * The held-out sequences in dataset-index order, {@code batchSize} per batch (the last may be smaller);
     * empty without a validation fraction.
     */
    public List<SequenceBatch> validationBatches(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        long ppm = heldOutPpm;
        List<Sequence> held = new ArrayList<>(sequences.filter(s -> heldOut(s.index(), ppm)).collect());
        held.sort(Comparator.comparingLong(Sequence::index));
        List<SequenceBatch> batches = new ArrayList<>();
        int lossRows = supervision.count();
        int[] lossSteps = supervision.steps();
        for (int from = 0; from < held.size(); from += batchSize) {
            int b = Math.min(batchSize, held.size() - from);
            double[] x = new double[steps * b * inputSize];
            double[] y = new double[steps * b * outputSize];
            for (int k = 0; k < b; k++) {
                Sequence s = held.get(from + k);
                for (int t = 0; t < steps; t++) {
                    System.arraycopy(s.inputs(), t * inputSize, x, (t * b + k) * inputSize, inputSize);
                }
                for (int j = 0; j < lossRows; j++) {
                    System.arraycopy(s.targets(), j * outputSize, y, (lossSteps[j] * b + k) * outputSize, outputSize);
                }
            }
            batches.add(new SequenceBatch(steps, b, inputSize, outputSize, x, y, supervision));
        }
        return batches;
    }

    /** Whether sequence {@code index} is held out at this dataset's validation fraction. */
    public boolean isHeldOut(long index) {
        return heldOut(index, heldOutPpm);
    }

    static boolean heldOut(long index, long ppm) {
        return (index + 1) * ppm / MILLION > index * ppm / MILLION;
    }

    /** Rank of a training sequence among the training sequences: its index minus the held-out ones before it. */
    static long trainingRank(long index, long ppm) {
        return index - index * ppm / MILLION;
    }

    public Format format() {
        return format;
    }

    public DataLocation path() {
        return path;
    }

    /** T, the model's sequence length. */
    public int sequenceLength() {
        return steps;
    }

    /** I, values per input step. */
    public int inputSize() {
        return inputSize;
    }

    /** O, values per target step (classes for cross-entropy). */
    public int outputSize() {
        return outputSize;
    }

    public Supervision supervision() {
        return supervision;
    }

    /** Number of sequences, training and held out. */
    public long size() {
        return size;
    }

    public long validationSize() {
        return size * heldOutPpm / MILLION;
    }

    public long trainingSize() {
        return size - validationSize();
    }

    /** Text: the characters in one-hot order (index i is the i-th code point); empty for other formats. */
    public String vocabulary() {
        return vocabulary;
    }

    @Override
    public String toString() {
        return format.name().toLowerCase(Locale.ROOT) + " " + path + ": " + size + " sequences (" + trainingSize()
                + " training, " + validationSize() + " held out), T=" + steps + ", I=" + inputSize + ", O=" + outputSize
                + ", " + supervision;
    }

    /** Releases the validated sequences Spark holds; shards already built stay (they are persisted). */
    @Override
    public void close() {
        sequences.unpersist(true); // blocking: the caller may stop Spark next (see open)
    }
}
