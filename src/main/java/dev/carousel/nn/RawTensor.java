package dev.carousel.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Zero-copy element access to a whole, contiguous, row-major ND4J array, for the fused pointwise
 * loops of the time step. Why not ND4J ops there: each ND4J op costs a native dispatch of tens of
 * microseconds, and an LSTM step needs about twenty pointwise ops on a [B, H] block whose arithmetic
 * takes less than that; one JIT-compiled loop replaces them all. Loops copy a step's block into a
 * Java array ({@link #read}), compute, and copy it back ({@link #write}): bulk copies are memcpy-fast and
 * array loops compile far better than per-element buffer calls. Matrix products go to OpenBLAS directly
 * ({@link Blas}). {@link #read}/{@link #write} convert to double; the float32 engine uses
 * {@link #readFloats}/{@link #writeFloats}, which do not.
 *
 * <p>Not thread-safe (a float32 tensor reuses one conversion buffer).
 */
abstract class RawTensor {
    abstract double get(int i);

    abstract void set(int i, double v);

    /** Copies elements [offset, offset + len) into {@code dst[0..len)}. */
    abstract void read(int offset, double[] dst, int len);

    /** Copies {@code src[0..len)} into elements [offset, offset + len). */
    abstract void write(int offset, double[] src, int len);

    /** Float32 tensors only: copies elements [offset, offset + len) into {@code dst[0..len)} unconverted. */
    final void readFloats(int offset, float[] dst, int len) {
        readFloats(offset, dst, 0, len);
    }

    /** Float32 tensors only: copies {@code src[0..len)} into elements [offset, offset + len) unconverted. */
    final void writeFloats(int offset, float[] src, int len) {
        writeFloats(offset, src, 0, len);
    }

    /** Float32 tensors only: copies elements [offset, offset + len) into {@code dst[dstOff..dstOff + len)}. */
    void readFloats(int offset, float[] dst, int dstOff, int len) {
        throw new UnsupportedOperationException("not a float32 tensor");
    }

    /** Float32 tensors only: copies {@code src[srcOff..srcOff + len)} into elements [offset, offset + len). */
    void writeFloats(int offset, float[] src, int srcOff, int len) {
        throw new UnsupportedOperationException("not a float32 tensor");
    }

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
        private float[] scratch = new float[0];

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

        @Override
        void read(int offset, double[] dst, int len) {
            float[] f = scratch(len);
            b.get(offset, f, 0, len);
            for (int k = 0; k < len; k++) {
                dst[k] = f[k];
            }
        }

        @Override
        void write(int offset, double[] src, int len) {
            float[] f = scratch(len);
            for (int k = 0; k < len; k++) {
                f[k] = (float) src[k];
            }
            b.put(offset, f, 0, len);
        }

        @Override
        void readFloats(int offset, float[] dst, int dstOff, int len) {
            b.get(offset, dst, dstOff, len);
        }

        @Override
        void writeFloats(int offset, float[] src, int srcOff, int len) {
            b.put(offset, src, srcOff, len);
        }

        private float[] scratch(int len) {
            if (scratch.length < len) {
                scratch = new float[len];
            }
            return scratch;
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

        @Override
        void read(int offset, double[] dst, int len) {
            b.get(offset, dst, 0, len);
        }

        @Override
        void write(int offset, double[] src, int len) {
            b.put(offset, src, 0, len);
        }
    }
}
