package dev.carousel.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * θ (or a gradient) [P] with its parameter views and their raw BLAS handles. Made once per array object and
 * reused while the caller passes the same one (a training run passes the same θ and gradient buffer to every
 * step): building the views costs a dozen ND4J array creations, each with off-heap shape buffers for the
 * garbage collector to release.
 */
final class BoundParameters {
    final INDArray flat;
    final Blas.Matrix wx, wh, b, wy, by;

    BoundParameters(ParameterLayout layout, INDArray flat) {
        this.flat = flat;
        Parameters p = new Parameters(layout, flat);
        wx = new Blas.Matrix(p.wx);
        wh = new Blas.Matrix(p.wh);
        b = new Blas.Matrix(p.b);
        wy = new Blas.Matrix(p.wy);
        by = new Blas.Matrix(p.by);
    }
}
