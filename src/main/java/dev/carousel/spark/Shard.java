package dev.carousel.spark;

import dev.carousel.data.SequenceBatch;
import java.io.Serializable;

/**
 * One partition's training data, as Spark holds it: the element of a one-element-per-partition RDD
 * that each round's tasks run over. A generated shard holds nothing but its coordinates and makes its
 * sequences where it runs; a file shard holds its validated sequences. Either way a minibatch is a pure
 * function of (partition, index, batch size), so a retried task sees exactly the same data.
 */
public interface Shard extends Serializable {
    /** The Spark partition index this shard belongs to, 0..N−1. */
    int partition();

    /** Training minibatch number {@code index} (0, 1, 2, …) of this partition, of {@code batchSize} sequences. */
    SequenceBatch trainingBatch(long index, int batchSize);

    /** Number of sequences the shard holds, or −1 for a generated (unbounded) shard. */
    long size();
}
