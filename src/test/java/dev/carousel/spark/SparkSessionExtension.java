package dev.carousel.spark;

import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One shared {@code local[2]} SparkSession per test JVM, injected into test constructors, methods and
 * lifecycle methods as {@link SparkSession}, {@link JavaSparkContext} or {@link SparkContext}:
 *
 * <pre>{@code
 * @ExtendWith(SparkSessionExtension.class)
 * class MyTest {
 *     @Test void counts(SparkSession spark, JavaSparkContext sc) { ... }
 * }
 * }</pre>
 *
 * Starting a SparkContext costs seconds, so test classes share one (the JUnit 5 counterpart of
 * spark-testing-base's JUnit 4 {@code SharedJavaSparkContext}). Code under test that stops the session
 * (commands close theirs) or a test that needs another master ({@link #stopShared()}) does not break
 * the others: a stopped session is replaced on the next request. The session is stopped when the test
 * run ends.
 */
public final class SparkSessionExtension implements ParameterResolver {
    /** Master of the shared session: two local task threads, enough to exercise more than one partition. */
    public static final String MASTER = "local[2]";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SparkSessionExtension.class);

    private static SparkSession shared;

    /** The shared session, started (or restarted, if something stopped it) on demand. */
    public static synchronized SparkSession session() {
        if (shared == null || shared.sparkContext().isStopped()) {
            shared = SparkSession.builder()
                    .master(MASTER)
                    .appName("carousel-tests")
                    .config("spark.ui.enabled", "false")
                    // Test tables are tiny: Spark's 200 shuffle partitions would only add empty tasks.
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.default.parallelism", "2")
                    .config("spark.sql.session.timeZone", "UTC")
                    .getOrCreate();
        }
        return shared;
    }

    /**
     * Stops the shared session (if running) and any other session left active, and forgets it, for tests that
     * need a SparkContext of their own: a JVM runs one SparkContext at a time. The next {@link #session()}
     * starts a new one.
     */
    public static synchronized void stopShared() {
        if (shared != null) {
            shared.stop();
            shared = null;
        }
        for (scala.Option<SparkSession> other : List.of(SparkSession.getActiveSession(), SparkSession.getDefaultSession())) {
            if (other.isDefined()) {
                other.get().stop();
            }
        }
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == SparkSession.class || type == JavaSparkContext.class || type == SparkContext.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // Stop the session when the whole run ends: the root context closes AutoCloseable values in its store.
        context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Closer.class, k -> new Closer(), Closer.class);
        SparkSession spark = session();
        Class<?> type = parameter.getParameter().getType();
        if (type == SparkSession.class) {
            return spark;
        }
        if (type == JavaSparkContext.class) {
            return JavaSparkContext.fromSparkContext(spark.sparkContext());
        }
        if (type == SparkContext.class) {
            return spark.sparkContext();
        }
        throw new ParameterResolutionException("unsupported parameter type " + type.getName());
    }

    /** Stops the shared session at the end of the test run. */
    private static final class Closer implements AutoCloseable {
        @Override
        public void close() {
            stopShared();
        }
    }
}
