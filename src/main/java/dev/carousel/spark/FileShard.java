package dev.carousel.spark;

import dev.carousel.data.LossKind;
import dev.carousel.data.SequenceBatch;
import dev.carousel.data.Supervision;
import dev.carousel.util.Seeds;
import java.util.SplittableRandom;

/**
 * One partition's share of a {@link FileDataset}: its validated training sequences, held as plain
 * {@code double[]} arrays in the order of their dataset index.
 *
 * <p>Batches walk an endless stream of positions: position k = index·B + b is sequence
 * {@code perm_e[k mod n]} of epoch e = ⌊k / n⌋, where n = {@link #size()} and perm_e is a permutation
 * of 0..n−1 drawn from {@code Seeds.derive(seed, label("file-batches"), partition, e)}. So each epoch
 * visits every sequence exactly once (an epoch boundary may fall inside a batch when B does not divide
 * n), and a batch is a pure function of (seed, partition, index, B): a retried task sees the same batch.
 */
public final class FileShard implements Shard {
    private static final long serialVersionUID = 1L;
    private static final long STREAM = Seeds.label("file-batches");

    private final int partition;
    private final long seed;
    private final int steps;
    private final int inputSize;
    private final int outputSize;
    private final LossKind lossKind;   // Supervision is not Serializable; it is rebuilt from these
    private final int[] lossSteps;
    private final long[] indices;      // dataset index of each sequence, increasing
    private final double[][] inputs;   // per sequence [T × I], step-major
    private final double[][] targets;  // per sequence [lossSteps × O], loss steps in order

    /** The permutation of the epoch last used; per deserialized copy, so per task. */
    private transient volatile Epoch cached;

    private record Epoch(long epoch, int[] order) {}

    /**
     * @param indices dataset indices of the sequences, strictly increasing
     * @param inputs  per sequence, T·I values (step t, input i at t·I + i)
     * @param targets per sequence, |loss steps|·O values (j-th loss step, output o at j·O + o)
     */
    public FileShard(int partition, long seed, int steps, int inputSize, int outputSize, Supervision supervision,
                     long[] indices, double[][] inputs, double[][] targets) {
        if (partition < 0) {
            throw new IllegalArgumentException("partition must be >= 0, got " + partition);
        }
        if (indices.length == 0) {
            throw new IllegalArgumentException("partition " + partition + " has no sequences");
        }
        if (inputs.length != indices.length || targets.length != indices.length) {
            throw new IllegalArgumentException("partition " + partition + ": " + indices.length + " indices, "
                    + inputs.length + " inputs, " + targets.length + " targets");
        }
        if (supervision.lastStep() >= steps) {
            throw new IllegalArgumentException("loss step " + supervision.lastStep() + " is outside T=" + steps);
        }
        for (int s = 0; s < indices.length; s++) {
            if (s > 0 && indices[s] <= indices[s - 1]) {
                throw new IllegalArgumentException("sequence indices must increase: " + indices[s - 1] + ", " + indices[s]);
            }
            if (inputs[s].length != steps * inputSize || targets[s].length != supervision.count() * outputSize) {
                throw new IllegalArgumentException("sequence " + indices[s] + " has " + inputs[s].length + " inputs and "
                        + targets[s].length + " targets, expected " + steps * inputSize + " and "
                        + supervision.count() * outputSize);
            }
        }
        this.partition = partition;
        this.seed = seed;
        this.steps = steps;
        this.inputSize = inputSize;
        this.outputSize = outputSize;
        this.lossKind = supervision.kind();
        this.lossSteps = supervision.steps();
        this.indices = indices.clone();
        this.inputs = inputs;
        this.targets = targets;
    }

    @Override
    public int partition() {
        return partition;
    }

    @Override
    public long size() {
        return indices.length;
    }

    public int steps() {
        return steps;
    }

    public int inputSize() {
        return inputSize;
    }

    public int outputSize() {
        return outputSize;
    }

    public Supervision supervision() {
        return new Supervision(lossKind, lossSteps);
    }

    /** Dataset indices of the sequences this shard holds, increasing. */
    public long[] indices() {
        return indices.clone();
    }

    /** Dataset indices of the sequences in training batch {@code index} of {@code batchSize}, in batch order. */
    public long[] batchIndices(long index, int batchSize) {
        checkBatch(index, batchSize);
        long[] out = new long[batchSize];
        for (int b = 0; b < batchSize; b++) {
            out[b] = indices[slot(index * batchSize + b)];
        }
        return out;
    }

    @Override
    public SequenceBatch trainingBatch(long index, int batchSize) {
        checkBatch(index, batchSize);
        double[] in = new double[Math.multiplyExact(Math.multiplyExact(steps, batchSize), inputSize)];
        double[] out = new double[Math.multiplyExact(Math.multiplyExact(steps, batchSize), outputSize)];
        for (int b = 0; b < batchSize; b++) {
            int s = slot(index * batchSize + b);
            for (int t = 0; t < steps; t++) {
                System.arraycopy(inputs[s], t * inputSize, in, (t * batchSize + b) * inputSize, inputSize);
            }
            for (int j = 0; j < lossSteps.length; j++) {
                System.arraycopy(targets[s], j * outputSize, out, (lossSteps[j] * batchSize + b) * outputSize, outputSize);
            }
        }
        return new SequenceBatch(steps, batchSize, inputSize, outputSize, in, out, supervision());
    }

    private void checkBatch(long index, int batchSize) {
        if (index < 0 || batchSize <= 0) {
            throw new IllegalArgumentException("batch index must be >= 0 and batch size > 0, got index=" + index
                    + " batchSize=" + batchSize);
        }
        Math.multiplyExact(index + 1, (long) batchSize); // positions must not overflow
    }

    /** Which of this shard's sequences sits at stream position k. */
    private int slot(long k) {
        int n = indices.length;
        return order(k / n)[(int) (k % n)];
    }

    private int[] order(long epoch) {
        Epoch e = cached;
        if (e == null || e.epoch != epoch) {
            e = new Epoch(epoch, permutation(seed, partition, epoch, indices.length));
            cached = e;
        }
        return e.order;
    }

    /** Fisher–Yates shuffle of 0..n−1 from the epoch's own stream. */
    static int[] permutation(long seed, int partition, long epoch, int n) {
        SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, STREAM, partition, epoch));
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }

    @Override
    public String toString() {
        return "FileShard[partition=" + partition + ", " + indices.length + " sequences, T=" + steps + ", I=" + inputSize
                + ", O=" + outputSize + ", " + supervision() + "]";
    }
}
