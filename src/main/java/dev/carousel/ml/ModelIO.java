package dev.carousel.ml;

import dev.carousel.io.Json;
import dev.carousel.store.Folders;
import dev.carousel.store.Storage;
import dev.carousel.train.Checkpoint;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.SparkContext;
import org.nd4j.linalg.api.ndarray.INDArray;
import scala.Option;

/**
 * ML persistence of {@link CarouselModel}: MLlib's param metadata under {@code PATH/metadata/} (what
 * {@code DefaultParamsWriter} writes for every MLlib stage), and the run's checkpoint format under
 * {@code PATH/checkpoint/}, committed whole by {@link Folders} (renamed into place on local disk, a {@code _SUCCESS}
 * marker last elsewhere). PATH is resolved as Spark resolves it: against the cluster's default file system when it
 * has no scheme.
 */
final class ModelIO {
    static final String CHECKPOINT = "checkpoint";
    static final String SHAPE_FILE = "model.json";

    private ModelIO() {}

    /** The checkpoint folder under {@code path}, qualified by its file system. */
    static Path checkpoint(String path, Configuration conf) {
        Path p = new Path(path, CHECKPOINT);
        FileSystem fs = Storage.fs(p, "model path", conf);
        return p.makeQualified(fs.getUri(), fs.getWorkingDirectory());
    }

    static final class Writer extends MLWriter {
        private final CarouselModel model;

        Writer(CarouselModel model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            SparkContext sc = sparkSession().sparkContext();
            DefaultParamsWriter$.MODULE$.saveMetadata(model, path, sc, Option.empty(), Option.empty());
            Configuration conf = sc.hadoopConfiguration();
            dev.carousel.nn.ParameterLayout layout = new dev.carousel.nn.ModelSpec(model.config().model().cell(),
                    model.shape().inputSize(), model.config().model().hidden(), model.shape().outputSize(),
                    model.config().model().forgetGate(), model.config().model().precision()).layout();
            Folders.write(checkpoint(path, conf), conf, dir -> {
                new Checkpoint(model.config(), model.parameters(), model.optimizerState(), model.updates())
                        .writeInto(dir, layout);
                Json.write(dir.resolve(SHAPE_FILE), model.shape().toJson());
            });
        }
    }

    static final class Reader extends MLReader<CarouselModel> {
        private record Loaded(Checkpoint checkpoint, ModelShape shape) {}

        @Override
        public CarouselModel load(String path) {
            SparkContext sc = sparkSession().sparkContext();
            DefaultParamsReader.Metadata metadata = DefaultParamsReader$.MODULE$.loadMetadata(path, sc,
                    CarouselModel.class.getName());
            Loaded loaded = Folders.read(checkpoint(path, sc.hadoopConfiguration()), sc.hadoopConfiguration(),
                    dir -> new Loaded(Checkpoint.read(dir), ModelShape.fromJson(Json.read(dir.resolve(SHAPE_FILE)))));
            Checkpoint c = loaded.checkpoint();
            INDArray theta = c.parameters();
            CarouselModel model = new CarouselModel(metadata.uid(), c.config(), loaded.shape(), theta,
                    c.optimizerState(), c.update());
            metadata.getAndSetParams(model, Option.empty());
            return model;
        }
    }
}
