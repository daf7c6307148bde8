package dev.carousel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Version and commit are what Maven recorded in carousel-version.properties when it built the classes. */
public class ProvenanceTest {
    /** {@code git rev-parse HEAD} in {@code dir}, or null when it is no checkout or there is no git. */
    public static String gitHead(Path dir) throws InterruptedException {
        try {
            Process p = new ProcessBuilder("git", "-C", dir.toString(), "rev-parse", "HEAD").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        }
    }

    @Test
    void theCommitIsTheOneTheBuildWasMadeFrom() throws InterruptedException {
        String head = gitHead(Path.of(System.getProperty("basedir", "")).toAbsolutePath());
        assumeTrue(head != null, "not built from a git checkout");
        assertEquals(head, Provenance.gitCommit());
        assertNotNull(Provenance.gitDirty(), "git.dirty is recorded with the commit");
        assertNotEquals("unknown", Provenance.version());

        Map<String, Object> m = Provenance.of("3.5.9");
        assertEquals(head, m.get("git_commit"));
        assertEquals(Provenance.gitDirty(), m.get("git_dirty"));
        String version = new Provenance.Version().getVersion()[0];
        assertTrue(version.startsWith("carousel " + Provenance.version() + " (commit " + head), version);
    }

    @Test
    void aBuildWithoutGitReadsAsUnknown() throws IOException {
        // A tree without .git: the plugin sets nothing and resource filtering leaves the placeholders.
        Properties unfiltered = new Properties();
        unfiltered.load(new StringReader("version=0.1.0\ngit.commit=${git.commit.id}\ngit.dirty=${git.dirty}\n"));
        assertEquals("0.1.0", Provenance.built(unfiltered, "version"));
        assertEquals("unknown", Provenance.built(unfiltered, "git.commit"));
        assertEquals("unknown", Provenance.built(unfiltered, "git.dirty"));
        assertEquals("unknown", Provenance.built(new Properties(), "git.commit"));
    }
}
