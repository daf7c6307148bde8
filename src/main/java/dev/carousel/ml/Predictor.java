package dev.carousel.ml;

import dev.carousel.config.CarouselConfig;
import dev.carousel.config.ConfigLoader;
import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import dev.carousel.nn.ModelSpec;
import dev.carousel.nn.Probe;
import dev.carousel.nn.ProbeValues;
import dev.carousel.nn.RecurrentNetwork;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A model's transform on one partition: each row's sequence through a forward pass of its own (B = 1), so a row's
 * prediction depends on that row alone, never on the rows it shares a partition or batch with; optionally a backward
 * pass against its label for the per-step probes. Shipped to executors by serialization: the config as its
 * canonical text (as the trainer ships it) and θ as doubles (float32 values convert both ways exactly).
 */
final class Predictor implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;

    private final String canonicalConfig;
    private final ModelShape shape;
    private final double[] theta;
    private final int featuresIndex;
    /** Index of the label column, or −1 without probes. */
    private final int labelIndex;

    /**
     * @param theta         θ [P]
     * @param featuresIndex index of the features column ([T][I]) in the input rows
     * @param labelIndex    index of the label column for probes, or −1 for predictions alone
     */
    Predictor(String canonicalConfig, ModelShape shape, double[] theta, int featuresIndex, int labelIndex) {
        this.canonicalConfig = canonicalConfig;
        this.shape = shape;
        this.theta = theta;
        this.featuresIndex = featuresIndex;
        this.labelIndex = labelIndex;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        CarouselConfig cfg = ConfigLoader.parse(canonicalConfig, "model config");
        CarouselConfig.Model m = cfg.model();
        ModelSpec spec = new ModelSpec(m.cell(), shape.inputSize(), m.hidden(), shape.outputSize(), m.forgetGate(),
                m.precision());
        RecurrentNetwork net = new RecurrentNetwork(spec);
        INDArray th = Nd4j.createFromArray(theta).castTo(m.precision().dataType());
        INDArray grad = labelIndex >= 0 ? th.ulike() : null;
        List<Row> out = new ArrayList<>();
        while (rows.hasNext()) {
            Row r = rows.next();
            SequenceBatch batch = batch(r);
            Object[] values = new Object[r.size() + (labelIndex >= 0 ? 2 : 1)];
            for (int i = 0; i < r.size(); i++) {
                values[i] = r.get(i);
            }
            values[r.size()] = prediction(net.outputs(th, batch));
            if (labelIndex >= 0) {
                ProbeValues p = net.lossAndGradient(th, batch, grad, true).probes();
                Object[] probes = new Object[ModelShape.PROBES.size()];
                for (int k = 0; k < probes.length; k++) {
                    Probe probe = probe(ModelShape.PROBES.get(k));
                    probes[k] = p.has(probe) ? p.get(probe).clone() : null;
                }
                values[r.size() + 1] = RowFactory.create(probes);
            }
            out.add(RowFactory.create(values));
        }
        return out.iterator();
    }

    /** The regression values [O] as a double or an array, or the class of the largest output (first on a tie). */
    private Object prediction(double[] y) {
        if (shape.loss() == LossKind.CROSS_ENTROPY) {
            int best = 0;
            for (int o = 1; o < y.length; o++) {
                if (y[o] > y[best]) {
                    best = o;
                }
            }
            return (double) best;
        }
        return shape.arrayTarget() ? y : y[0];
    }

    /** Row {@code r} as a batch of one: inputs [T, 1, I]; targets [T, 1, O] at the last step when probing, else 0. */
    private SequenceBatch batch(Row r) {
        if (r.isNullAt(featuresIndex)) {
            throw new IllegalArgumentException("features is null in row " + r + "; expected [T][I] numbers");
        }
        List<Object> steps = r.getList(featuresIndex);
        int t = steps.size();
        int in = shape.inputSize();
        int o = shape.outputSize();
        if (t == 0) {
            throw new IllegalArgumentException("features has no steps; expected at least one");
        }
        double[] x = new double[t * in];
        for (int s = 0; s < t; s++) {
            scala.collection.Seq<?> step = (scala.collection.Seq<?>) steps.get(s);
            if (step == null || step.length() != in) {
                throw new IllegalArgumentException("features[" + s + "] has " + (step == null ? "null" : step.length()
                        + " values") + "; expected " + in + " (the I the model was fitted on)");
            }
            for (int i = 0; i < in; i++) {
                x[s * in + i] = ((Number) step.apply(i)).doubleValue();
            }
        }
        double[] y = new double[t * o];
        if (labelIndex >= 0) {
            target(r, y, (t - 1) * o);
        }
        return new SequenceBatch(t, 1, in, o, x, y, Supervision.lastStep(shape.loss(), t));
    }

    /** The label of {@code r} in the network's form (values, or one-hot) at {@code y[at..at+O)}. */
    private void target(Row r, double[] y, int at) {
        int o = shape.outputSize();
        Object label = r.get(labelIndex);
        if (label == null) {
            throw new IllegalArgumentException("label is null; probes need a target or class label");
        }
        if (shape.loss() == LossKind.CROSS_ENTROPY) {
            long c = ((Number) label).longValue();
            if (c < 0 || c >= o) {
                throw new IllegalArgumentException("label is " + c + "; expected a class in [0, " + o + ")");
            }
            y[at + (int) c] = 1;
        } else if (label instanceof Number n) {
            y[at] = n.doubleValue();
        } else {
            List<Object> values = r.getList(labelIndex);
            if (values.size() != o) {
                throw new IllegalArgumentException("target has " + values.size() + " values; expected " + o);
            }
            for (int k = 0; k < o; k++) {
                y[at + k] = ((Number) values.get(k)).doubleValue();
            }
        }
    }

    private static Probe probe(String key) {
        for (Probe p : Probe.values()) {
            if (p.key().equals(key)) {
                return p;
            }
        }
        throw new IllegalStateException("no probe " + key);
    }
}
