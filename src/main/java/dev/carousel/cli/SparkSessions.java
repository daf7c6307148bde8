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
        return SparkSession.builder()
                .master(master(master))
                .appName(appName)
                // Result tables are tiny; Spark's default of 200 shuffle partitions only adds tasks.
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.ui.enabled", System.getProperty("spark.ui.enabled", "false"))
                .config("spark.sql.session.timeZone", "UTC")
                // A sweep runs several cells at once, each from its own driver thread in its own pool.
                .config("spark.scheduler.mode", "FAIR")
                .getOrCreate();
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
