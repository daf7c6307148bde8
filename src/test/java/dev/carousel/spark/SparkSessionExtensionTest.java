package dev.carousel.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SparkSessionExtension.class)
class SparkSessionExtensionTest {

    @Test
    void injectsOneSharedLocalSession(SparkSession spark, JavaSparkContext jsc, SparkContext sc) {
        assertSame(spark.sparkContext(), sc);
        assertSame(sc, jsc.sc());
        assertSame(spark, SparkSessionExtension.session());
        assertEquals(SparkSessionExtension.MASTER, sc.master());
        assertEquals("false", sc.getConf().get("spark.ui.enabled"));
        assertEquals("2", spark.conf().get("spark.sql.shuffle.partitions"));
        assertEquals(2, jsc.defaultParallelism());
        assertEquals(10, (int) jsc.parallelize(List.of(1, 2, 3, 4)).reduce(Integer::sum));
    }

    @Test
    void aStoppedSessionIsReplaced(SparkSession spark) {
        spark.stop(); // as the commands under test do with theirs
        SparkSession next = SparkSessionExtension.session();
        assertNotSame(spark, next);
        assertEquals(3L, JavaSparkContext.fromSparkContext(next.sparkContext()).parallelize(List.of(1, 2, 3)).count());
    }
}
