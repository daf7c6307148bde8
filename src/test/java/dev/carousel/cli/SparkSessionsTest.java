package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Which master the commands use: theirs if given, else spark-submit's, else local[*]. */
class SparkSessionsTest {
    @Test
    void anExplicitMasterWinsThenSparkSubmitsThenLocal() {
        String saved = System.getProperty("spark.master");
        try {
            System.clearProperty("spark.master");
            assertEquals("local[*]", SparkSessions.master(null));
            assertEquals("local[1]", SparkSessions.master("local[1]"));
            // spark-submit hands its --master / spark.master to the driver as this system property.
            System.setProperty("spark.master", "yarn");
            assertEquals("yarn", SparkSessions.master(null));
            assertEquals("local[1]", SparkSessions.master("local[1]"));
        } finally {
            if (saved == null) {
                System.clearProperty("spark.master");
            } else {
                System.setProperty("spark.master", saved);
            }
        }
    }
}
