package dev.carousel.spark;

import java.io.Serializable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A flat float32 or float64 vector as plain Java arrays, for broadcasts and task results: Java arrays
 * serialize compactly and identically everywhere, and keep ND4J's off-heap buffers out of Spark's
 * serializers. Exactly one of {@code floats} and {@code doubles} is set.
 */
public record FlatArray(float[] floats, double[] doubles) implements Serializable {

    public static FlatArray of(INDArray a) {
        INDArray flat = a.isView() ? a.dup('c') : a;
        if (flat.dataType() == DataType.FLOAT) {
            return new FlatArray(flat.data().asFloat(), null);
        }
        if (flat.dataType() == DataType.DOUBLE) {
            return new FlatArray(null, flat.data().asDouble());
        }
        throw new IllegalArgumentException("unsupported data type " + a.dataType());
    }

    /** Bytes of the values (4 or 8 per element). */
    public long byteSize() {
        return floats != null ? 4L * floats.length : 8L * doubles.length;
    }

    public int length() {
        return floats != null ? floats.length : doubles.length;
    }

    public double get(int i) {
        return floats != null ? floats[i] : doubles[i];
    }

    /** A fresh [P] array in the original precision. */
    public INDArray toINDArray() {
        return floats != null ? Nd4j.createFromArray(floats.clone()) : Nd4j.createFromArray(doubles.clone());
    }

    /** The same precision as this array, holding {@code values} rounded to it. */
    public FlatArray like(double[] values) {
        if (floats == null) {
            return new FlatArray(null, values);
        }
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return new FlatArray(f, null);
    }
}
