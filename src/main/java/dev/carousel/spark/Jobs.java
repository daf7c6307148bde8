package dev.carousel.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import scala.collection.Iterator;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Runs one Spark job (a training round, a validation pass, a config-parallel sweep cell) straight through
 * {@code SparkContext.runJob}, with the partition function a named class rather than a lambda.
 *
 * <p>Why not {@code treeAggregate} / {@code map().collect()}: before submitting anything those build new RDDs
 * and pass Spark's own closures and ours through its {@code ClosureCleaner}, which, for every lambda, reads the
 * bytecode of the class that defines it (RDD's among them) to look for return statements. On the 2-core test
 * machine that made a trivial {@code treeAggregate} job 15–22 ms against 6–8 ms for {@code runJob} with a named
 * function (bench/src/dev/carousel/bench/JobLatency.java, BENCHMARKS.md), and a training round pays it once per
 * round. The cleaner returns at once for an object that is not a closure.
 */
public final class Jobs {
    private Jobs() {}

    /**
     * Applies {@code perElement} to every element of every partition in a task and hands each partition's results
     * to {@code handler} on the driver (in completion order, one call at a time; Spark calls it once per partition
     * even when a task is retried). {@code name} labels the job's stage in the Spark UI and event logs.
     */
    public static <T, U> void run(JavaSparkContext sc, String name, JavaRDD<T> rdd, Function<T, U> perElement,
                                  BiConsumer<Integer, List<U>> handler) {
        int n = rdd.getNumPartitions();
        List<Object> partitions = new ArrayList<>(n);
        for (int p = 0; p < n; p++) {
            partitions.add(p);
        }
        sc.sc().setCallSite(name);
        try {
            sc.sc().runJob(rdd.rdd(), new PartitionTask<>(perElement),
                    scala.collection.JavaConverters.asScalaBuffer(partitions).toSeq(), new Handler<>(handler),
                    ClassTag$.MODULE$.apply(List.class));
        } finally {
            sc.sc().clearCallSite();
        }
    }

    /** The task: {@code perElement} over the partition's elements, in order. */
    static final class PartitionTask<T, U> extends AbstractFunction2<TaskContext, Iterator<T>, List<U>>
            implements Serializable {
        private final Function<T, U> perElement;

        PartitionTask(Function<T, U> perElement) {
            this.perElement = perElement;
        }

        @Override
        public List<U> apply(TaskContext context, Iterator<T> elements) {
            List<U> out = new ArrayList<>(1);
            try {
                while (elements.hasNext()) {
                    out.add(perElement.call(elements.next()));
                }
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return out;
        }
    }

    private static final class Handler<U> extends AbstractFunction2<Object, List<U>, BoxedUnit> {
        private final BiConsumer<Integer, List<U>> handler;

        Handler(BiConsumer<Integer, List<U>> handler) {
            this.handler = handler;
        }

        @Override
        public BoxedUnit apply(Object partition, List<U> results) {
            handler.accept((Integer) partition, results);
            return BoxedUnit.UNIT;
        }
    }
}
