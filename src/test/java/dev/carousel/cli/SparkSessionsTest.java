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

    @Test
    void theUiIsOffOnlyForTheEmbeddedLocalRunUnlessTheUserSaysOtherwise() {
        java.util.Map<String, String> saved = new java.util.HashMap<>();
        for (String key : new String[] {"spark.ui.enabled", "spark.submit.deployMode"}) {
            saved.put(key, System.getProperty(key));
            System.clearProperty(key);
        }
        try {
            // jobs/carousel: no spark-submit.
            assertEquals("false", SparkSessions.uiEnabled("local[*]"));
            assertEquals("false", SparkSessions.uiEnabled("local-cluster[2,1,1024]"));
            assertEquals("true", SparkSessions.uiEnabled("spark://head:7077"));
            // spark-submit sets spark.submit.deployMode in the driver, "client" when none was asked for.
            System.setProperty("spark.submit.deployMode", "client");
            assertEquals("true", SparkSessions.uiEnabled("local[2]"));
            assertEquals("true", SparkSessions.uiEnabled("yarn"));
            // --conf spark.ui.enabled=false, or the key in a properties file.
            System.setProperty("spark.ui.enabled", "false");
            assertEquals("false", SparkSessions.uiEnabled("yarn"));
            System.clearProperty("spark.submit.deployMode");
            System.setProperty("spark.ui.enabled", "true");
            assertEquals("true", SparkSessions.uiEnabled("local[1]"));
        } finally {
            saved.forEach((key, value) -> {
                if (value == null) {
                    System.clearProperty(key);
                } else {
                    System.setProperty(key, value);
                }
            });
        }
    }

    @Test
    void sparkSubmitsNameWinsOverTheCommandsUnlessItIsTheMainClassDefault() {
        String saved = System.getProperty("spark.app.name");
        try {
            System.clearProperty("spark.app.name");
            assertEquals("carousel-sweep forget-gate", SparkSessions.appName("carousel-sweep forget-gate"));
            // spark-submit without --name: the main class.
            System.setProperty("spark.app.name", "dev.carousel.cli.Main");
            assertEquals("carousel-sweep forget-gate", SparkSessions.appName("carousel-sweep forget-gate"));
            System.setProperty("spark.app.name", "nightly forget gate");
            assertEquals("nightly forget gate", SparkSessions.appName("carousel-sweep forget-gate"));
        } finally {
            if (saved == null) {
                System.clearProperty("spark.app.name");
            } else {
                System.setProperty("spark.app.name", saved);
            }
        }
    }
}
