package dev.carousel.cli;

import org.apache.spark.sql.SparkSession;

/** Spark sessions for the commands: embedded local mode unless a master is given. */
final class SparkSessions {
    private SparkSessions() {}

    static SparkSession local(String master, String appName) {
        return SparkSession.builder()
                .master(master)
                .appName(appName)
                // Result tables are tiny; Spark's default of 200 shuffle partitions only adds tasks.
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.ui.enabled", System.getProperty("spark.ui.enabled", "false"))
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate();
    }
}
