package dev.carousel.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Views of the tensors inside a flat vector laid out by {@link ParameterLayout}. Writing to a view
 * writes θ. Used for parameters and, with the same layout, for gradients.
 */
public final class Parameters {
    /** θ: [P] */
    public final INDArray flat;
    /** [I, G] with G = 4H (LSTM) or H (RNN) */
    public final INDArray wx;
    /** [H, G] */
    public final INDArray wh;
    /** [1, G] (a row, so it broadcasts over batch rows) */
    public final INDArray b;
    /** [H, O] */
    public final INDArray wy;
    /** [1, O] */
    public final INDArray by;

    public Parameters(ParameterLayout layout, INDArray flat) {
        if (flat.length() != layout.count() || !flat.isVector()) {
            throw new IllegalArgumentException("flat parameters have " + flat.length() + " values, layout needs "
                    + layout.count());
        }
        this.flat = flat;
        this.wx = view(flat, layout.block("W_x"));
        this.wh = view(flat, layout.block("W_h"));
        ParameterLayout.Block bb = layout.block("b");
        this.b = view(flat, new ParameterLayout.Block("b", bb.offset(), new long[] {1, bb.length()}));
        this.wy = view(flat, layout.block("W_y"));
        ParameterLayout.Block byb = layout.block("b_y");
        this.by = view(flat, new ParameterLayout.Block("b_y", byb.offset(), new long[] {1, byb.length()}));
    }

    static INDArray view(INDArray flat, ParameterLayout.Block block) {
        INDArray slice = flat.reshape(flat.length()).get(NDArrayIndex.interval(block.offset(), block.offset() + block.length()));
        return slice.reshape('c', block.shape());
    }
}
