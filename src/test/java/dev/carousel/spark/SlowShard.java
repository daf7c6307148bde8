package dev.carousel.spark;

import dev.carousel.data.SequenceBatch;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A straggler: a partition's shard that sleeps {@code delayMillis} before serving the first minibatch of each round
 * (an index that is a multiple of the round's {@code roundSteps} local steps), so the partition's task in every
 * round, and in the final probe's job, finishes well after the others'. The minibatches are the wrapped shard's,
 * so results must not change.
 */
record SlowShard(Shard shard, int roundSteps, long delayMillis) implements Shard {

    /**
     * {@code trainer}'s generated shards, partition {@code slow} made a straggler by {@code delayMillis} at the start of
     * each round of {@code roundSteps} local steps.
     */
    static JavaRDD<Shard> straggling(JavaSparkContext sc, DistributedTrainer trainer, int slow, int roundSteps,
                                     long delayMillis) {
        List<Shard> shards = new ArrayList<>(trainer.generatedShards().collect());
        shards.set(slow, new SlowShard(shards.get(slow), roundSteps, delayMillis));
        return sc.parallelize(shards, shards.size());
    }

    @Override
    public int partition() {
        return shard.partition();
    }

    @Override
    public SequenceBatch trainingBatch(long index, int batchSize) {
        if (index % roundSteps == 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while straggling", e);
            }
        }
        return shard.trainingBatch(index, batchSize);
    }

    @Override
    public long size() {
        return shard.size();
    }
}
