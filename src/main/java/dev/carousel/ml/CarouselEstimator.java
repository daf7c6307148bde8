package dev.carousel.ml;

import dev.carousel.config.CarouselConfig;
import dev.carousel.spark.DistributedTrainer;
import dev.carousel.spark.FileDataset;
import dev.carousel.spark.Shard;
import dev.carousel.train.MemoryCheck;
import dev.carousel.train.RunSetup;
import dev.carousel.train.TrainResult;
import dev.carousel.train.TrainingListener;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.StructType;

/**
 * Carousel as a Spark ML {@link Estimator}: {@link #fit} trains an LSTM or tanh-RNN on a DataFrame of sequences with
 * the distributed trainer {@code carousel train} uses, and returns a {@link CarouselModel} that predicts per sequence.
 *
 * <p>Input: a features column {@code array<array<float|double>>} shaped [T][I] (T steps of I values) and a label
 * column, as a Parquet file dataset has them: {@code array<float|double>} [O] (regression, MSE at the last step),
 * {@code float|double} (regression, O = 1) or an integer type (class label, cross-entropy at the last step over
 * O = max label + 1 classes). Every run-config key is a typed param ({@link ParamTable}: names are the key in camel
 * case, {@link #param(String)} finds one by key, {@link #setConfig} sets one), defaulting to
 * {@code carousel-defaults.conf}.
 *
 * <p>{@code fit} reads and validates the rows as a file dataset is read ({@code FileDataset.fromDataFrame}), holds out
 * {@code data.validation-fraction} of them for the curve, deals the rest round-robin to
 * {@code distributed.partitions} shards and trains by rounds of parameter averaging. A row's place in the dataset
 * order is its position in the DataFrame, so on a DataFrame read from one Parquet file the result is the one
 * {@code carousel train} gives on that file with the same config, bit for bit. Persistence: MLlib's param metadata
 * ({@link DefaultParamsWritable}).
 */
public final class CarouselEstimator extends Estimator<CarouselModel>
        implements CarouselParams, DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final ParamTable table;

    public CarouselEstimator() {
        this(Identifiable$.MODULE$.randomUID("carousel"));
    }

    /** An estimator with the given uid (MLlib's copy and load use this constructor). */
    public CarouselEstimator(String uid) {
        this.uid = uid;
        this.table = new ParamTable(uid);
        table.setDefaults(this);
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public ParamTable table() {
        return table;
    }

    @Override
    public Param<?>[] params() {
        return table.all();
    }

    /**
     * Sets run-config key {@code configKey} (e.g. {@code model.forget-gate.bias}) to {@code value}, a number, boolean
     * or string as the key takes; an integral number suits an integer key, any number a real one.
     *
     * @throws IllegalArgumentException the CLI's one-line message for {@code --set configKey=value}
     */
    public CarouselEstimator setConfig(String configKey, Object value) {
        Param<Object> p = table.forKeyUntyped(configKey);
        set(p, ParamTable.coerce(p, value));
        return this;
    }

    public CarouselEstimator setFeaturesCol(String column) {
        set(featuresCol(), column);
        return this;
    }

    public CarouselEstimator setLabelCol(String column) {
        set(labelCol(), column);
        return this;
    }

    public CarouselEstimator setPredictionCol(String column) {
        set(predictionCol(), column);
        return this;
    }

    public CarouselEstimator setProbesCol(String column) {
        set(probesCol(), column);
        return this;
    }

    @Override
    public CarouselModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema()); // column checks, and the whole config, before any Spark job
        CarouselConfig cfg = runConfig();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
        FileDataset data = FileDataset.fromDataFrame(dataset.toDF(), getFeaturesCol(), getLabelCol(),
                cfg.data().validationFraction(), cfg.model().precision());
        try {
            RunSetup setup = RunSetup.of(cfg, data.fileData());
            MemoryCheck.require(PARAMS_ORIGIN, setup);
            JavaRDD<Shard> shards = data.shards(cfg.distributed().partitions(), setup.dataSeed());
            TrainResult result;
            try {
                result = new DistributedTrainer(sc, setup, DistributedTrainer.Options.NONE)
                        .run(shards, TrainingListener.NONE);
            } finally {
                shards.unpersist(true);
            }
            ModelShape shape = new ModelShape(data.sequenceLength(), data.inputSize(), data.outputSize(),
                    data.supervision().kind(), dataset.schema().apply(getLabelCol()).dataType()
                    instanceof org.apache.spark.sql.types.ArrayType);
            CarouselModel model = new CarouselModel(uid, cfg, shape, result.parameters(), result.optimizerState(),
                    result.updates());
            model.setSummary(new TrainingSummary(dataset.sparkSession(), setup, result));
            copyValues(model, ParamMap.empty());
            return model.setParent(this);
        } catch (dev.carousel.config.ConfigError e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            data.close();
        }
    }

    @Override
    public StructType transformSchema(StructType schema) {
        runConfig();
        return ModelShape.outputSchema(schema, this, null);
    }

    @Override
    public CarouselEstimator copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** MLlib's reader of a saved estimator (its params). */
    public static MLReader<CarouselEstimator> read() {
        return new DefaultParamsReader<>();
    }

    public static CarouselEstimator load(String path) {
        return read().load(path);
    }
}
