package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * YARN's application master, which runs a cluster-mode driver's main in its own JVM, is told apart by the master
     * and deploy mode it sets; there the exit code 0 returns from main and another is thrown (System.exit would make
     * the application FAILED).
     */
    @Test
    void aYarnClusterModeDriverReturnsOrThrowsInsteadOfExiting() {
        withProperties(() -> {
            System.setProperty("spark.master", "yarn");
            System.setProperty("spark.submit.deployMode", "client");
            assertFalse(SparkSessions.yarnClusterDriver());
            System.setProperty("spark.master", "spark://head:7077");
            System.setProperty("spark.submit.deployMode", "cluster");
            assertFalse(SparkSessions.yarnClusterDriver());
            System.setProperty("spark.master", "yarn");
            assertTrue(SparkSessions.yarnClusterDriver());
            Main.exit(0);
            IllegalStateException failed = assertThrows(IllegalStateException.class, () -> Main.exit(2));
            assertTrue(failed.getMessage().contains("exited with status 2"), failed.getMessage());
        }, "spark.master", "spark.submit.deployMode");
    }

    @Test
    void theUiIsOffOnlyForTheEmbeddedLocalRunUnlessTheUserSaysOtherwise() {
        withProperties(() -> {
            System.clearProperty("spark.ui.enabled");
            System.clearProperty("spark.submit.deployMode");
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
        }, "spark.ui.enabled", "spark.submit.deployMode");
    }

    /** Runs {@code body}, then gives the system properties {@code keys} back the values they had before. */
    private static void withProperties(Runnable body, String... keys) {
        java.util.Map<String, String> saved = new java.util.HashMap<>();
        for (String key : keys) {
            saved.put(key, System.getProperty(key));
        }
        try {
            body.run();
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
