package dev.carousel.nn;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Direct calls into the OpenBLAS that ND4J itself loads (JavaCPP's {@code org.bytedeco.openblas} preset,
 * which nd4j-native depends on), for the small per-time-step products of the engine.
 *
 * <p>Why not {@code Nd4j.gemm}: each ND4J op goes through its op executioner (shape checks, workspace and
 * thread bookkeeping, a JNI round trip with shape buffers), which measured 100–250 µs per call here, more
 * than a [64, 128]×[128, 512] product itself takes. The time loop makes two such products per step (and two
 * more when probes are recorded), so the dispatch dominated small models. A {@code cblas_*gemm} through
 * JavaCPP is one JNI call on raw addresses: a few µs. Operands stay ND4J arrays (allocated once per
 * workspace); a {@link Matrix} is a pointer to one of them whose position is moved to the block needed.
 *
 * <p>Threads: on first use the BLAS thread count is set to {@link #threads()}, by default 1: one thread per
 * Spark task, which is where Carousel's parallelism lives (see BENCHMARKS.md, "Threads").
 */
final class Blas {
    private static final int ROW_MAJOR = openblas_nolapack.CblasRowMajor;
    private static final int NO_TRANS = openblas_nolapack.CblasNoTrans;
    private static final int TRANS = openblas_nolapack.CblasTrans;
    private static final int UPPER = openblas_nolapack.CblasUpper;
    private static final int THREADS;

    static {
        Nd4j.getBackend(); // ND4J loads its natives (and with them this same libopenblas) first
        THREADS = configuredThreads();
        openblas_nolapack.blas_set_num_threads(THREADS);
    }

    private Blas() {}

    /**
     * BLAS threads: system property {@code carousel.blas.threads}, else {@code OPENBLAS_NUM_THREADS}, else
     * {@code OMP_NUM_THREADS}, else 1.
     */
    static int threads() {
        return THREADS;
    }

    private static int configuredThreads() {
        String v = System.getProperty("carousel.blas.threads");
        if (v == null) {
            v = System.getenv("OPENBLAS_NUM_THREADS");
        }
        if (v == null) {
            v = System.getenv("OMP_NUM_THREADS");
        }
        try {
            return v == null ? 1 : Math.max(1, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** A whole contiguous row-major ND4J array (or contiguous view) seen as raw float or double memory. */
    static final class Matrix {
        final boolean single;
        private final FloatPointer f;
        private final DoublePointer d;
        private final long length;
        /** Scratch for {@link #read(long, double[], int)} on a float32 matrix. */
        private float[] widen = new float[0];
        /** Keeps the array (and so its memory) reachable for as long as the pointer is used. */
        private final INDArray owner;

        Matrix(INDArray array) {
            if (array.ordering() != 'c' || array.elementWiseStride() != 1) {
                throw new IllegalArgumentException("raw BLAS access needs a contiguous row-major array, got order "
                        + array.ordering() + " with element stride " + array.elementWiseStride());
            }
            Pointer p = array.data().addressPointer(); // already at the array's offset (views included)
            this.owner = array;
            this.length = array.length();
            if (array.dataType() == DataType.FLOAT) {
                single = true;
                f = new FloatPointer(p);
                d = null;
            } else if (array.dataType() == DataType.DOUBLE) {
                single = false;
                f = null;
                d = new DoublePointer(p);
            } else {
                throw new IllegalArgumentException("unsupported data type " + array.dataType());
            }
        }

        INDArray array() {
            return owner;
        }

        /** dst[0, len) ← elements [offset, offset + len) (float32 matrices only). */
        void read(long offset, float[] dst, int len) {
            if (!single) {
                throw new IllegalArgumentException("not a float32 matrix");
            }
            check(offset, len);
            f.position(offset).get(dst, 0, len);
        }

        /** dst[0, len) ← elements [offset, offset + len), widened to double for a float32 matrix. */
        void read(long offset, double[] dst, int len) {
            check(offset, len);
            if (single) {
                if (widen.length < len) {
                    widen = new float[len];
                }
                f.position(offset).get(widen, 0, len);
                for (int i = 0; i < len; i++) {
                    dst[i] = widen[i];
                }
            } else {
                d.position(offset).get(dst, 0, len);
            }
        }

        private void check(long offset, int len) {
            if (offset < 0 || len < 0 || offset + len > length) {
                throw new IndexOutOfBoundsException("[" + offset + ", " + (offset + len) + ") outside [0, " + length + ")");
            }
        }

        private Pointer at(long offset) {
            if (offset < 0 || offset >= length) {
                throw new IndexOutOfBoundsException("offset " + offset + " outside [0, " + length + ")");
            }
            return single ? f.position(offset) : d.position(offset);
        }
    }

    /**
     * C[m, n] = alpha·op(A)·op(B) + beta·C on blocks of whole row-major matrices starting at the given element
     * offsets; op(A) is [m, k], op(B) is [k, n], and every block is dense (leading dimension = row length).
     */
    static void gemm(Matrix a, long aOff, boolean transA, Matrix b, long bOff, boolean transB, Matrix c, long cOff,
                     int m, int n, int k, double alpha, double beta) {
        gemm(a, aOff, transA ? m : k, transA, b, bOff, transB ? k : n, transB, c, cOff, n, m, n, k, alpha, beta);
    }

    /**
     * As {@link #gemm(Matrix, long, boolean, Matrix, long, boolean, Matrix, long, int, int, int, double, double)} on
     * blocks inside wider matrices: A, B and C have leading dimensions (row lengths) {@code lda}, {@code ldb},
     * {@code ldc}, so a column block such as one gate's [H, H] of W_h [H, G] is an operand in place.
     */
    static void gemm(Matrix a, long aOff, int lda, boolean transA, Matrix b, long bOff, int ldb, boolean transB,
                     Matrix c, long cOff, int ldc, int m, int n, int k, double alpha, double beta) {
        int ta = transA ? TRANS : NO_TRANS;
        int tb = transB ? TRANS : NO_TRANS;
        if (c.single) {
            openblas_nolapack.cblas_sgemm(ROW_MAJOR, ta, tb, m, n, k, (float) alpha, (FloatPointer) a.at(aOff), lda,
                    (FloatPointer) b.at(bOff), ldb, (float) beta, (FloatPointer) c.at(cOff), ldc);
        } else {
            openblas_nolapack.cblas_dgemm(ROW_MAJOR, ta, tb, m, n, k, alpha, (DoublePointer) a.at(aOff), lda,
                    (DoublePointer) b.at(bOff), ldb, beta, (DoublePointer) c.at(cOff), ldc);
        }
    }

    /**
     * y[n] = alpha·Aᵀ·x + beta·y for the dense row-major block A[m, n] at {@code aOff}, with x read at stride
     * {@code incx} from {@code xOff} and y contiguous from {@code yOff}. For column sums and thin products (a
     * 1- or 2-row op(A)·B) OpenBLAS's gemv streams A once where its gemm kernels pad to 4-row panels: 1.1 ms
     * against 4.6 ms for the bias gradient at T·B = 6400, G = 512.
     */
    static void gemvTrans(Matrix a, long aOff, int m, int n, Matrix x, long xOff, int incx, Matrix y, long yOff,
                          double alpha, double beta) {
        if (y.single) {
            openblas_nolapack.cblas_sgemv(ROW_MAJOR, TRANS, m, n, (float) alpha, (FloatPointer) a.at(aOff), n,
                    (FloatPointer) x.at(xOff), incx, (float) beta, (FloatPointer) y.at(yOff), 1);
        } else {
            openblas_nolapack.cblas_dgemv(ROW_MAJOR, TRANS, m, n, alpha, (DoublePointer) a.at(aOff), n,
                    (DoublePointer) x.at(xOff), incx, beta, (DoublePointer) y.at(yOff), 1);
        }
    }

    /** Upper triangle of C[n, n] = A·Aᵀ for the dense block A[n, k] at {@code aOff} (the rest of C is not written). */
    static void gramUpper(Matrix a, long aOff, Matrix c, int n, int k) {
        if (c.single) {
            openblas_nolapack.cblas_ssyrk(ROW_MAJOR, UPPER, NO_TRANS, n, k, 1f, (FloatPointer) a.at(aOff), k, 0f,
                    (FloatPointer) c.at(0), n);
        } else {
            openblas_nolapack.cblas_dsyrk(ROW_MAJOR, UPPER, NO_TRANS, n, k, 1.0, (DoublePointer) a.at(aOff), k, 0.0,
                    (DoublePointer) c.at(0), n);
        }
    }
}
