package dev.carousel.nn;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;

/**
 * The output layer and loss at the loss steps P: y = h·W_y + b_y [P·B, O], the per-sequence losses ℓ_b (MSE, or
 * cross-entropy over softmax(y)), each the mean over the loss steps, and their gradients: ∂ℓ_b/∂y [P·B, O], then
 * dW_y [H, O], db_y [O] and ∂ℓ_b/∂h at the loss steps into the rows of δh [T·B, H]. Reads and writes the
 * workspace's head tensors; shapes as in {@link RecurrentNetwork}.
 */
final class LossHead {
    private final int h;
    private final int o;

    LossHead(ModelSpec spec) {
        this.h = spec.hidden();
        this.o = spec.outputSize();
    }

    /** y = h·W_y + b_y at the loss steps; returns ℓ_b [B] and leaves ∂ℓ_b/∂y in w.dy. */
    double[] forward(Workspace w, BoundParameters p, SequenceBatch batch) {
        int[] steps = batch.supervision().steps();
        int b = w.b;
        if (!w.everyStep) {
            for (int k = 0; k < steps.length; k++) { // h at the loss steps → the rows of h_P
                w.copy(w.rhs, (steps[k] + 1) * b * h, w.rhp, k * b * h, b * h);
            }
        }
        Blas.gemm(w.mhp, w.hpOffset, false, p.wy, 0, false, w.myhat, 0, steps.length * b, o, h, 1.0, 0.0);
        RawTensor y = w.ryhat;
        p.by.read(0, w.byBlock, o);
        for (int r = 0; r < steps.length * b; r++) { // + b_y on every row
            for (int j = 0; j < o; j++) {
                y.set(r * o + j, y.get(r * o + j) + w.byBlock[j]);
            }
        }

        RawTensor dy = w.rdy;
        double[] targets = batch.targets();
        double[] seq = new double[b];
        double perStep = 1.0 / steps.length;
        LossKind kind = batch.supervision().kind();
        for (int k = 0; k < steps.length; k++) {
            for (int s = 0; s < b; s++) {
                int row = (k * b + s) * o;
                int trow = (steps[k] * b + s) * o;
                double loss = 0;
                if (kind == LossKind.MSE) {
                    for (int j = 0; j < o; j++) {
                        double d = y.get(row + j) - targets[trow + j];
                        loss += d * d / o;
                        dy.set(row + j, perStep * 2.0 * d / o);
                    }
                } else {
                    double max = Double.NEGATIVE_INFINITY;
                    double mass = 0;
                    for (int j = 0; j < o; j++) {
                        max = Math.max(max, y.get(row + j));
                        mass += targets[trow + j];
                    }
                    double sum = 0;
                    for (int j = 0; j < o; j++) {
                        sum += Math.exp(y.get(row + j) - max);
                    }
                    double lse = max + Math.log(sum);
                    for (int j = 0; j < o; j++) {
                        double target = targets[trow + j];
                        double logp = y.get(row + j) - lse;
                        if (target != 0) {
                            loss -= target * logp;
                        }
                        // ∂/∂y of −Σ target·log softmax(y) = softmax(y)·Σ target − target
                        dy.set(row + j, perStep * (Math.exp(logp) * mass - target));
                    }
                }
                seq[s] += perStep * loss;
            }
        }
        return seq;
    }

    /** The share of (loss step, sequence) pairs whose largest output is the target's largest component. */
    double accuracy(Workspace w, SequenceBatch batch) {
        int[] steps = batch.supervision().steps();
        RawTensor y = w.ryhat;
        double[] targets = batch.targets();
        long correct = 0;
        for (int k = 0; k < steps.length; k++) {
            for (int s = 0; s < w.b; s++) {
                int row = (k * w.b + s) * o;
                int trow = (steps[k] * w.b + s) * o;
                int best = 0;
                int truth = 0;
                for (int j = 1; j < o; j++) {
                    if (y.get(row + j) > y.get(row + best)) {
                        best = j;
                    }
                    if (targets[trow + j] > targets[trow + truth]) {
                        truth = j;
                    }
                }
                if (best == truth) {
                    correct++;
                }
            }
        }
        return (double) correct / ((long) steps.length * w.b);
    }

    /**
     * dW_y = h_Pᵀ·dy / B and db_y = Σ dy / B into {@code grad}; ∂ℓ_b/∂h at the loss steps = dy·W_yᵀ into their
     * rows of w.dh, every other row cleared (the backward loop adds the recurrent term to it).
     */
    void backward(Workspace w, BoundParameters p, BoundParameters grad, int[] steps) {
        final int tn = w.t;
        final int bn = w.b;
        final double invB = 1.0 / bn;
        final int pb = steps.length * bn;
        Blas.gemm(w.mhp, w.hpOffset, true, w.mdy, 0, false, grad.wy, 0, h, o, pb, invB, 0.0);
        Blas.gemm(w.monesP, 0, true, w.mdy, 0, false, grad.by, 0, 1, o, pb, invB, 0.0);
        if (w.everyStep) {
            Blas.gemm(w.mdy, 0, false, p.wy, 0, true, w.mdh, 0, pb, h, o, 1.0, 0.0);
        } else {
            w.clear(w.rdh, tn * bn * h);
            Blas.gemm(w.mdy, 0, false, p.wy, 0, true, w.mdhp, 0, pb, h, o, 1.0, 0.0);
            for (int k = 0; k < steps.length; k++) { // ∂ℓ/∂h at the loss steps → their rows of δh
                w.copy(w.rdhp, k * bn * h, w.rdh, steps[k] * bn * h, bn * h);
            }
        }
    }
}
