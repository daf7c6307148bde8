package dev.carousel.spark;

import dev.carousel.data.SequenceBatch;
import dev.carousel.data.SequenceTask;
import dev.carousel.data.Split;
import dev.carousel.data.Tasks;

/**
 * A shard of a generated task: sequences are made on the executor from (data seed, split, partition,
 * index), so nothing but these numbers is shipped.
 */
public record GeneratedShard(String taskName, int taskLength, long dataSeed, int partition) implements Shard {

    @Override
    public SequenceBatch trainingBatch(long index, int batchSize) {
        return task().batch(dataSeed, Split.TRAIN, partition, index, batchSize);
    }

    @Override
    public long size() {
        return -1;
    }

    private SequenceTask task() {
        return Tasks.create(taskName, taskLength);
    }
}
