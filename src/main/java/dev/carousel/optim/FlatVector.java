package dev.carousel.optim;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element access to a whole, contiguous float32 or float64 ND4J array [P] (θ, a gradient, an optimiser
 * buffer), for the per-update arithmetic of clipping, the optimisers and the finiteness checks.
 *
 * <p>Why not ND4J ops: an update is a dozen element-wise passes over [P], and each ND4J op costs tens of
 * microseconds of Java-side dispatch, a shape-info buffer allocated off-heap and a deallocator reference
 * for the garbage collector to process. At the default sweep's model (P ≈ 4.6 k) the arithmetic takes a few
 * microseconds, so as ND4J ops an update costs ~10–15 % of a training step's CPU time and makes most of its
 * garbage, and the JVM threads that clean it up compete with a second training thread for the other core. One
 * JIT-compiled loop over the array's memory does the same work with no dispatch and no allocation.
 *
 * <p>Arithmetic is done in double and rounded once when stored, so a float32 update is the formula rounded
 * to float, not a chain of float roundings.
 */
public abstract sealed class FlatVector permits FlatVector.F32, FlatVector.F64 {
    private final int length;

    private FlatVector(int length) {
        this.length = length;
    }

    /**
     * A view of {@code array}'s memory (not a copy: {@link #set} writes the array).
     *
     * @throws IllegalArgumentException if the array is a view into a larger buffer, has an offset, or is
     *                                  neither float32 nor float64
     */
    public static FlatVector of(INDArray array) {
        long n = array.length();
        if (array.isView() || array.offset() != 0 || array.data().length() != n || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("expected a whole contiguous array, got a view " + array.shapeInfoToString());
        }
        if (array.dataType() == DataType.FLOAT) {
            return new F32(array.data().asNioFloat(), (int) n);
        }
        if (array.dataType() == DataType.DOUBLE) {
            return new F64(array.data().asNioDouble(), (int) n);
        }
        throw new IllegalArgumentException("expected float32 or float64, got " + array.dataType());
    }

    /** Number of elements P. */
    public final int length() {
        return length;
    }

    public abstract double get(int i);

    /** Stores {@code v}, rounded to float for a float32 array. */
    public abstract void set(int i, double v);

    /** Copies every element of {@code from} (same data type and length) into {@code to}: one bulk copy. */
    public static void copy(INDArray from, INDArray to) {
        FlatVector a = of(from);
        FlatVector b = of(to);
        if (a.length != b.length || from.dataType() != to.dataType()) {
            throw new IllegalArgumentException("copy needs the same length and data type, got " + from.dataType() + "["
                    + a.length + "] and " + to.dataType() + "[" + b.length + "]");
        }
        b.putAll(a);
    }

    abstract void putAll(FlatVector from);

    /** True if every element is finite (no NaN, no ±∞). */
    public static boolean allFinite(INDArray array) {
        FlatVector v = of(array);
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v.get(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * ‖a‖₂, accumulated in double. The sum of squares of float32 values cannot overflow a double; for float64
     * values beyond ~1e154 it is recomputed scaled by the largest magnitude. NaN if an element is NaN, +∞ if an
     * element is infinite.
     */
    public static double norm2(INDArray array) {
        FlatVector v = of(array);
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            double x = v.get(i);
            sum += x * x;
        }
        if (Double.isFinite(sum) || Double.isNaN(sum)) {
            return Math.sqrt(sum);
        }
        double max = 0;
        for (int i = 0; i < v.length; i++) {
            double x = Math.abs(v.get(i));
            if (Double.isNaN(x)) {
                return Double.NaN;
            }
            max = Math.max(max, x);
        }
        if (Double.isInfinite(max)) {
            return Double.POSITIVE_INFINITY;
        }
        double scaled = 0;
        for (int i = 0; i < v.length; i++) {
            double x = v.get(i) / max;
            scaled += x * x;
        }
        return max * Math.sqrt(scaled);
    }

    /** a ← s·a, element by element. */
    public static void scale(INDArray array, double s) {
        FlatVector v = of(array);
        for (int i = 0; i < v.length; i++) {
            v.set(i, s * v.get(i));
        }
    }

    static final class F32 extends FlatVector {
        private final FloatBuffer b;

        F32(FloatBuffer b, int length) {
            super(length);
            this.b = b;
        }

        @Override
        public double get(int i) {
            return b.get(i);
        }

        @Override
        public void set(int i, double v) {
            b.put(i, (float) v);
        }

        @Override
        void putAll(FlatVector from) {
            b.put(0, ((F32) from).b, 0, length());
        }
    }

    static final class F64 extends FlatVector {
        private final DoubleBuffer b;

        F64(DoubleBuffer b, int length) {
            super(length);
            this.b = b;
        }

        @Override
        public double get(int i) {
            return b.get(i);
        }

        @Override
        public void set(int i, double v) {
            b.put(i, v);
        }

        @Override
        void putAll(FlatVector from) {
            b.put(0, ((F64) from).b, 0, length());
        }
    }
}
