package dev.carousel.nn;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where each parameter tensor lives in the flat parameter vector θ. All parameters, gradients and
 * optimiser state are single flat vectors, so averaging, clipping and checkpointing are one operation
 * each. Blocks, row-major, in this order:
 *
 * <pre>
 *   LSTM: W_x [I, 4H]  W_h [H, 4H]  b [4H]  W_y [H, O]  b_y [O]     gate columns: i | f | g | o
 *   RNN:  W_x [I, H]   W_h [H, H]   b [H]   W_y [H, O]  b_y [O]
 * </pre>
 */
public record ParameterLayout(CellType cell, int inputSize, int hidden, int outputSize) {

    /** One named block: offset into θ and its shape. */
    public record Block(String name, long offset, long[] shape) {
        public long length() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return n;
        }
    }

    public int gateWidth() {
        return cell == CellType.LSTM ? 4 * hidden : hidden;
    }

    /** The blocks in order: W_x, W_h, b, W_y, b_y. */
    public Map<String, Block> blocks() {
        int g = gateWidth();
        Map<String, Block> blocks = new LinkedHashMap<>();
        long offset = 0;
        for (Block b : new Block[] {
                new Block("W_x", 0, new long[] {inputSize, g}),
                new Block("W_h", 0, new long[] {hidden, g}),
                new Block("b", 0, new long[] {g}),
                new Block("W_y", 0, new long[] {hidden, outputSize}),
                new Block("b_y", 0, new long[] {outputSize})}) {
            blocks.put(b.name(), new Block(b.name(), offset, b.shape()));
            offset += b.length();
        }
        return blocks;
    }

    public Block block(String name) {
        Block b = blocks().get(name);
        if (b == null) {
            throw new IllegalArgumentException("no parameter block " + name + "; blocks are " + blocks().keySet());
        }
        return b;
    }

    /** P, the length of θ. */
    public long count() {
        long n = 0;
        for (Block b : blocks().values()) {
            n += b.length();
        }
        return n;
    }
}
