package dev.carousel.cli;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.sql.SparkSession;

/** Spark sessions for the commands: embedded local mode unless a master is given. */
final class SparkSessions {
    private SparkSessions() {}

    /**
     * A session on {@code master}; with {@code master} null, the master spark-submit configured (it passes
     * {@code --master} and {@code spark.master} from {@code --properties-file} to the driver as the system
     * property {@code spark.master}), or {@code local[*]} when there is none.
     */
    static SparkSession local(String master, String appName) {
        // Each running cell gets a FAIR pool of its own, created on first use; Spark warns once per pool that
        // it "has not been configured", which is the intent here, so that logger only speaks of errors.
        Configurator.setLevel("org.apache.spark.scheduler.FairSchedulableBuilder", Level.ERROR);
        String resolved = master(master);
        SparkSession spark = SparkSession.builder()
                .master(resolved)
                .appName(appName(appName))
                // Result tables are tiny; Spark's default of 200 shuffle partitions only adds tasks.
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.ui.enabled", uiEnabled(resolved))
                .config("spark.sql.session.timeZone", "UTC")
                // A sweep runs several cells at once, each from its own driver thread in its own pool.
                .config("spark.scheduler.mode", "FAIR")
                .getOrCreate();
        // Spark logs where its UI listens at INFO, below conf/log4j2.properties' level: say it here.
        if (spark.sparkContext().uiWebUrl().isDefined()) {
            System.err.println("carousel: Spark UI at " + spark.sparkContext().uiWebUrl().get());
        }
        return spark;
    }

    /**
     * Whether the driver runs under spark-submit: spark-submit sets {@code spark.submit.deployMode} among the
     * driver's system properties whatever the master and deploy mode ("client" when none is given), and the
     * cluster-mode drivers it starts (YARN's application master, a standalone worker's driver, a Kubernetes
     * driver pod) get it from the submitted configuration too. Carousel's own launcher, jobs/carousel, sets none.
     */
    static boolean underSparkSubmit() {
        return System.getProperty("spark.submit.deployMode") != null;
    }

    /**
     * Whether this JVM is a driver in YARN cluster mode, i.e. YARN's application master: it sets these two system
     * properties before it runs the main class.
     */
    static boolean yarnClusterDriver() {
        return "yarn".equals(System.getProperty("spark.master"))
                && "cluster".equals(System.getProperty("spark.submit.deployMode"));
    }

    /**
     * {@code spark.ui.enabled} for a session on {@code master}: the value the user set, if any (spark-submit
     * hands {@code --conf} and the properties file to the driver as system properties); else on, where
     * someone follows a job's stages and executors, except for the embedded local run (jobs/carousel on a
     * local master, not under spark-submit), where it would only take a port and start-up time.
     */
    static String uiEnabled(String master) {
        String set = System.getProperty("spark.ui.enabled");
        if (set != null && !set.isBlank()) {
            return set.trim();
        }
        return String.valueOf(underSparkSubmit() || !master.startsWith("local"));
    }

    /**
     * The application's name: the one given to spark-submit (--name, or spark.app.name in its settings),
     * else {@code ours}, which names the command and its config or spec. spark-submit names an application
     * after its main class when given no name, so that name counts as none.
     */
    static String appName(String ours) {
        String submitted = System.getProperty("spark.app.name");
        return submitted == null || submitted.isBlank() || submitted.equals(Main.class.getName()) ? ours : submitted;
    }

    /**
     * The master to use: the one asked for, else spark-submit's. A YARN cluster-mode driver must use
     * the master it was submitted with, or its application master waits for a SparkContext that never comes.
     */
    static String master(String requested) {
        if (requested != null) {
            return requested;
        }
        String submitted = System.getProperty("spark.master");
        return submitted == null || submitted.isBlank() ? "local[*]" : submitted;
    }
}
