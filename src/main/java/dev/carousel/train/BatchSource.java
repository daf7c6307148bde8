package dev.carousel.train;

import dev.carousel.data.SequenceBatch;

/** Training minibatch number {@code index} (0, 1, 2, …) of one data shard; a pure function of the index. */
@FunctionalInterface
public interface BatchSource {
    SequenceBatch batch(long index);
}
