package dev.carousel.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Zero-copy element access to a whole, contiguous, row-major ND4J array, for the fused pointwise
 * loops of the time step. Why not ND4J ops there: each ND4J op costs a native dispatch of tens of
 * microseconds, and an LSTM step needs about twenty pointwise ops on a [B, H] block whose arithmetic
 * takes less than that; one JIT-compiled loop over the native memory replaces them all. Matrix
 * products stay with ND4J's BLAS. Values are read and computed as double and stored in the array's
 * own precision.
 */
abstract class RawTensor {
    abstract double get(int i);

    abstract void set(int i, double v);

    static RawTensor of(INDArray array) {
        if (array.isView() || array.offset() != 0 || array.ordering() != 'c') {
            throw new IllegalArgumentException("raw access needs a whole row-major array, got a view or 'f' order");
        }
        if (array.dataType() == DataType.FLOAT) {
            return new Float32(array.data().asNioFloat());
        }
        if (array.dataType() == DataType.DOUBLE) {
            return new Float64(array.data().asNioDouble());
        }
        throw new IllegalArgumentException("unsupported data type " + array.dataType());
    }

    private static final class Float32 extends RawTensor {
        private final FloatBuffer b;

        Float32(FloatBuffer b) {
            this.b = b;
        }

        @Override
        double get(int i) {
            return b.get(i);
        }

        @Override
        void set(int i, double v) {
            b.put(i, (float) v);
        }
    }

    private static final class Float64 extends RawTensor {
        private final DoubleBuffer b;

        Float64(DoubleBuffer b) {
            this.b = b;
        }

        @Override
        double get(int i) {
            return b.get(i);
        }

        @Override
        void set(int i, double v) {
            b.put(i, v);
        }
    }
}
