package dev.carousel.ml;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.optim.OptimizerState;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A fitted Carousel network as a Spark ML {@link Model}: {@link #transform} adds a prediction per sequence (the
 * regression value at the last step, a double or an array [O] like the label, or the class index as a double) and,
 * with {@code probesCol} set, each sequence's per-step gradient-flow probes against its label. Every row is predicted
 * alone (a forward pass with B = 1), so its prediction does not depend on how the rows are partitioned.
 *
 * <p>Saved with {@link #write()} (any Hadoop file system) as MLlib's param metadata plus the run's checkpoint format:
 * <pre>
 *   PATH/metadata/            MLlib's params JSON (class, uid, every param)
 *   PATH/checkpoint/          manifest.json, parameters.npy [P], optimizer-*.npy [P] (train.Checkpoint),
 *                             model.json (T, I, O, loss, array target: {@link ModelShape})
 * </pre>
 */
public final class CarouselModel extends Model<CarouselModel> implements CarouselParams, MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final ParamTable table;
    private final transient CarouselConfig config;
    private final ModelShape shape;
    private final transient INDArray parameters;
    private final transient OptimizerState optimizerState;
    private final long updates;
    private transient TrainingSummary summary;

    /**
     * @param parameters θ [P] in the config's precision
     * @param updates    optimiser updates it was trained for
     */
    CarouselModel(String uid, CarouselConfig config, ModelShape shape, INDArray parameters,
                  OptimizerState optimizerState, long updates) {
        this.uid = uid;
        this.table = new ParamTable(uid);
        table.setDefaults(this);
        this.config = config;
        this.shape = shape;
        this.parameters = parameters;
        this.optimizerState = optimizerState;
        this.updates = updates;
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

    public CarouselModel setFeaturesCol(String column) {
        set(featuresCol(), column);
        return this;
    }

    public CarouselModel setLabelCol(String column) {
        set(labelCol(), column);
        return this;
    }

    public CarouselModel setPredictionCol(String column) {
        set(predictionCol(), column);
        return this;
    }

    /** Adds the per-sequence probes as column {@code column} (empty: none); needs the label column. */
    public CarouselModel setProbesCol(String column) {
        set(probesCol(), column);
        return this;
    }

    /** The run config the model was trained with. */
    public CarouselConfig config() {
        return config;
    }

    /** T, I, O and the loss of the data it was fitted on. */
    public ModelShape shape() {
        return shape;
    }

    /** θ [P], a copy. */
    public INDArray parameters() {
        return parameters.dup();
    }

    OptimizerState optimizerState() {
        return optimizerState;
    }

    /** Optimiser updates the model was trained for. */
    public long updates() {
        return updates;
    }

    public boolean hasSummary() {
        return summary != null;
    }

    /** The curves and per-step statistics of the fit that made this model. */
    public TrainingSummary summary() {
        if (summary == null) {
            throw new NoSuchElementException("no training summary: this model was loaded, not fitted in this session");
        }
        return summary;
    }

    void setSummary(TrainingSummary summary) {
        this.summary = summary;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        Dataset<Row> df = dataset.toDF();
        int features = df.schema().fieldIndex(getFeaturesCol());
        int label = getProbesCol().isEmpty() ? -1 : df.schema().fieldIndex(getLabelCol());
        Predictor predictor = new Predictor(ConfigLoader.canonical(config), shape,
                parameters.castTo(DataType.DOUBLE).toDoubleVector(), features, label);
        JavaRDD<Row> rows = df.javaRDD().mapPartitions(predictor);
        return df.sparkSession().createDataFrame(rows, out);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return ModelShape.outputSchema(schema, this, shape);
    }

    @Override
    public CarouselModel copy(ParamMap extra) {
        CarouselModel copy = new CarouselModel(uid, config, shape, parameters, optimizerState, updates);
        copyValues(copy, extra);
        copy.summary = summary;
        return copy.setParent(parent());
    }

    @Override
    public MLWriter write() {
        return new ModelIO.Writer(this);
    }

    /** Reads a model {@link #write()} saved. */
    public static MLReader<CarouselModel> read() {
        return new ModelIO.Reader();
    }

    public static CarouselModel load(String path) {
        return read().load(path);
    }
}
