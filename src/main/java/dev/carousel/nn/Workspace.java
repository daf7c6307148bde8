package dev.carousel.nn;

import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every buffer of a pass for one (T, B, loss steps), with its raw element and BLAS views: the forward pass's
 * tensors, the backward pass's (allocated by the first gradient pass), the head's and the probe recorder's; the
 * [B, ·] blocks of the pointwise loops are the {@link StepKernel}'s bound to it. One workspace per network,
 * replaced when a batch of another shape comes; {@link MemoryEstimate} counts its off-heap tensors. Shapes as in
 * {@link RecurrentNetwork}.
 */
final class Workspace {
    private final ModelSpec spec;
    private final boolean lstm;
    final int t;
    final int b;
    final Supervision supervision;
    final boolean everyStep;
    boolean backwardValid;

    final INDArray x;        // [T·B, I]
    final INDArray z;        // [T·B, G] pre-activations, then activations (i|f|g|o)
    final INDArray hs;       // [(T+1)·B, H] rows 0..B−1 are h_{−1} = 0, rows (t+1)·B.. are h_t
    final INDArray cs;       // [(T+1)·B, H] likewise for c (LSTM)
    final INDArray tc;       // [T·B, H] tanh(c_t) (LSTM)
    final INDArray hp;       // [P·B, H] h at the loss steps (null when every step has a loss: hs's rows B..)
    final INDArray yhat;     // [P·B, O]
    final INDArray dy;       // [P·B, O] ∂ℓ_b/∂y
    final INDArray dhp;      // [P·B, H] ∂ℓ_b/∂h from the head (unused when every step has a loss)
    // The backward pass's [T·B, ·] buffers, allocated by the first pass that needs them (allocateBackward): a
    // network that only evaluates (the validation network, B up to 250) never holds them, 6H + 1 of the
    // 13H + I + 1 values per row of an LSTM's workspace.
    INDArray dh;             // [T·B, H]
    INDArray dc;             // [T·B, H] (LSTM)
    INDArray dz;             // [T·B, G]
    INDArray ones;           // [T·B, 1]
    final INDArray onesP;    // [P·B, 1]
    final INDArray gramA;    // [B, B]
    final INDArray gramD;    // [B, B]
    final RawTensor rx, rz, rhs, rcs, rtc, ryhat, rdy, rgramA, rgramD, rhp, rdhp;
    RawTensor rdh, rdc, rdz;
    /** Raw BLAS views of the tensors the products read and write. */
    final Blas.Matrix mz, mx, mhs, mgramA, mgramD, myhat, mdy, monesP, mdhp;
    Blas.Matrix mones, mdz, mdh;
    /** h at the loss steps as a BLAS operand: hs from row B on (every step has a loss) or hp; its offset. */
    final Blas.Matrix mhp;
    final long hpOffset;
    /** b_y, read from θ once per pass. */
    final double[] byBlock;
    /** Rows copied between tensors of the head (float32 or float64 as the engine; the other is empty). */
    private final float[] copyF;
    private final double[] copyD;
    private final boolean single;
    final ProbeRecorder probes;

    Workspace(ModelSpec spec, int t, int b, Supervision supervision) {
        this.spec = spec;
        this.lstm = spec.cell() == CellType.LSTM;
        this.t = t;
        this.b = b;
        this.supervision = supervision;
        int[] steps = supervision.steps();
        int p = steps.length;
        this.everyStep = p == t;
        DataType dt = spec.precision().dataType();
        int h = spec.hidden();
        int g = spec.gateWidth();
        long tb = (long) t * b;

        x = Nd4j.create(dt, tb, spec.inputSize());
        z = Nd4j.create(dt, tb, g);
        hs = Nd4j.create(dt, tb + b, h);
        cs = lstm ? Nd4j.create(dt, tb + b, h) : null;
        tc = lstm ? Nd4j.create(dt, tb, h) : null;
        hp = everyStep ? null : Nd4j.create(dt, (long) p * b, h);
        yhat = Nd4j.create(dt, (long) p * b, spec.outputSize());
        dy = Nd4j.create(dt, (long) p * b, spec.outputSize());
        dhp = everyStep ? null : Nd4j.create(dt, (long) p * b, h);
        onesP = Nd4j.ones(dt, (long) p * b, 1);
        gramA = Nd4j.create(dt, b, b);
        gramD = Nd4j.create(dt, b, b);
        rx = RawTensor.of(x);
        rz = RawTensor.of(z);
        rhs = RawTensor.of(hs);
        rcs = lstm ? RawTensor.of(cs) : null;
        rtc = lstm ? RawTensor.of(tc) : null;
        ryhat = RawTensor.of(yhat);
        rdy = RawTensor.of(dy);
        rgramA = RawTensor.of(gramA);
        rgramD = RawTensor.of(gramD);
        mz = new Blas.Matrix(z);
        mx = new Blas.Matrix(x);
        mhs = new Blas.Matrix(hs);
        mgramA = new Blas.Matrix(gramA);
        mgramD = new Blas.Matrix(gramD);
        single = dt == DataType.FLOAT;
        probes = new ProbeRecorder(spec, t, b);
        rhp = everyStep ? null : RawTensor.of(hp);
        rdhp = everyStep ? null : RawTensor.of(dhp);
        myhat = new Blas.Matrix(yhat);
        mdy = new Blas.Matrix(dy);
        monesP = new Blas.Matrix(onesP);
        mdhp = everyStep ? null : new Blas.Matrix(dhp);
        mhp = everyStep ? mhs : new Blas.Matrix(hp);
        hpOffset = everyStep ? (long) b * h : 0;
        byBlock = new double[spec.outputSize()];
        copyF = new float[single ? Math.multiplyExact(b, h) : 0];
        copyD = new double[single ? 0 : Math.multiplyExact(b, h)];
    }

    /** dst[dstOff, dstOff + len) ← src[srcOff, srcOff + len). */
    void copy(RawTensor src, int srcOff, RawTensor dst, int dstOff, int len) {
        if (single) {
            src.readFloats(srcOff, copyF, len);
            dst.writeFloats(dstOff, copyF, len);
        } else {
            src.read(srcOff, copyD, len);
            dst.write(dstOff, copyD, len);
        }
    }

    /** dst[0, len) ← 0, in blocks of B·H. */
    void clear(RawTensor dst, int len) {
        int block = b * spec.hidden();
        if (single) {
            Arrays.fill(copyF, 0f);
        } else {
            Arrays.fill(copyD, 0.0);
        }
        for (int off = 0; off < len; off += block) {
            int n = Math.min(block, len - off);
            if (single) {
                dst.writeFloats(off, copyF, n);
            } else {
                dst.write(off, copyD, n);
            }
        }
    }

    /** Allocates the backward pass's [T·B, ·] buffers, once. */
    void allocateBackward() {
        if (dz != null) {
            return;
        }
        DataType dt = spec.precision().dataType();
        long tb = (long) t * b;
        dh = Nd4j.create(dt, tb, spec.hidden());
        dc = lstm ? Nd4j.create(dt, tb, spec.hidden()) : null;
        dz = Nd4j.create(dt, tb, spec.gateWidth());
        ones = Nd4j.ones(dt, tb, 1);
        rdh = RawTensor.of(dh);
        rdc = lstm ? RawTensor.of(dc) : null;
        rdz = RawTensor.of(dz);
        mones = new Blas.Matrix(ones);
        mdz = new Blas.Matrix(dz);
        mdh = new Blas.Matrix(dh);
    }

    boolean fits(SequenceBatch batch) {
        return batch.steps() == t && batch.batchSize() == b && batch.supervision().equals(supervision);
    }
}
