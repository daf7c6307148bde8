package dev.carousel.bench;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * The floor under a round's time outside local compute: how long a Spark job that does nothing takes on this
 * machine, submitted the ways a round can be — {@code treeAggregate} and {@code map().collect()} with lambdas (what
 * rounds and validation used before), and {@code SparkContext.runJob} with a named partition function (what
 * {@code dev.carousel.spark.Jobs} does now). Each kind runs N jobs on a 2-partition RDD after 100 untimed ones,
 * twice, alternating; one line per kind and pass with the median and the 10th and 90th percentiles.
 *
 * <pre>JobLatency MASTER N</pre>
 */
public final class JobLatency {
    private JobLatency() {}

    public static void main(String[] args) {
        String master = args[0];
        int n = Integer.parseInt(args[1]);
        SparkSession spark = SparkBench.session(master);
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            JavaRDD<Integer> rdd = sc.parallelize(List.of(1, 2), 2);
            for (String kind : new String[] {"treeAggregate", "collect", "runJob"}) {
                time(sc, rdd, kind, 100);
            }
            for (int pass = 0; pass < 2; pass++) {
                for (String kind : new String[] {"treeAggregate", "collect", "runJob"}) {
                    double[] ms = time(sc, rdd, kind, n);
                    Arrays.sort(ms);
                    System.out.printf(Locale.ROOT, "engine=spark figure=job-latency master=%s kind=%s pass=%d jobs=%d "
                                    + "median_ms=%.2f p10_ms=%.2f p90_ms=%.2f%n", master, kind, pass, n, ms[n / 2],
                            ms[n / 10], ms[n * 9 / 10]);
                }
            }
        } finally {
            spark.stop();
        }
    }

    private static double[] time(JavaSparkContext sc, JavaRDD<Integer> rdd, String kind, int n) {
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            switch (kind) {
                case "treeAggregate" -> rdd.treeAggregate(0, (a, b) -> a + b, (a, b) -> a + b, 2);
                case "collect" -> rdd.map(x -> x + 1).collect();
                default -> sc.sc().runJob(rdd.rdd(), new SumPartition(),
                        scala.collection.JavaConverters.asScalaBuffer(List.<Object>of(0, 1)).toSeq(), new Ignore(),
                        scala.reflect.ClassTag$.MODULE$.apply(Integer.class));
            }
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    static final class SumPartition extends AbstractFunction2<TaskContext, Iterator<Integer>, Integer>
            implements Serializable {
        @Override
        public Integer apply(TaskContext context, Iterator<Integer> it) {
            int s = 0;
            while (it.hasNext()) {
                s += it.next();
            }
            return s;
        }
    }

    static final class Ignore extends AbstractFunction2<Object, Integer, BoxedUnit> {
        @Override
        public BoxedUnit apply(Object index, Integer value) {
            return BoxedUnit.UNIT;
        }
    }
}
