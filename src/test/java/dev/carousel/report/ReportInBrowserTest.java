package dev.carousel.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep report as a reader sees it: {@code report/index.html} opened from disk in headless Chromium shows every
 * figure, logs no console error or warning, and needs nothing from the network. The full-page screenshot is left in
 * {@code target/report-screenshot.png} for a person to look at.
 */
public class ReportInBrowserTest {
    /** Where the screenshot of the fixture's report is saved. */
    public static final Path SCREENSHOT = Path.of("target", "report-screenshot.png");

    @Test
    void everyFigureLoadsWithNoConsoleErrorAndNothingRemote(@TempDir Path dir) throws IOException {
        Browser.assumeAvailable();
        Path results = dir.resolve("results");
        SweepReportTest.writeTables(results);
        SweepReport.Report report = SweepReport.write(results, dir.resolve("report"), SweepReportTest.TITLE);

        Browser.Result r = assertOpensCleanly(report.index(), SCREENSHOT, report.figures().size());

        assertTrue(report.figures().size() >= 6, "the fixture draws every kind of figure: " + report.figures());
        System.out.println("report in the browser: " + r.describe());
    }

    /**
     * Opens a report's {@code index.html} with {@link Browser#check} and asserts what a reader needs: {@code images}
     * images, all loaded; no console error or warning; no http(s) or other non-file reference; a screenshot saved
     * at {@code screenshot} that decodes and covers the whole page.
     *
     * @return the browser's findings, for further assertions
     */
    public static Browser.Result assertOpensCleanly(Path index, Path screenshot, int images) throws IOException {
        Browser.Result r = Browser.check(index, screenshot);
        assertEquals(images, r.images(), "images on the page\n" + r.describe());
        assertEquals(List.of(), r.brokenImages(), "images that did not load\n" + r.describe());
        assertEquals(List.of(), r.consoleErrors(), "console errors\n" + r.describe());
        assertEquals(List.of(), r.consoleWarnings(), "console warnings\n" + r.describe());
        assertEquals(List.of(), r.externalReferences(), "references to non-file resources\n" + r.describe());
        BufferedImage shot = ImageIO.read(screenshot.toFile());
        assertNotNull(shot, "screenshot " + screenshot + " does not decode");
        assertEquals(r.pageWidth(), shot.getWidth(), r.describe());
        assertEquals(r.pageHeight(), shot.getHeight(), r.describe());
        return r;
    }
}
