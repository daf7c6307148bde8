package dev.carousel.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Browser} itself, on pages made here: a sound page comes back clean, and a page with a missing image, a
 * {@code console.error}, a {@code console.warn} and references to http(s) resources has every one of them reported
 * (the check would be worthless if a console or image failure could pass unseen).
 */
class BrowserTest {
    @BeforeEach
    void browserInstalled() {
        Browser.assumeAvailable();
    }

    @Test
    void aSoundLocalPageIsClean(@TempDir Path dir) throws IOException {
        writePng(dir.resolve("good.png"), 300, 200);
        StringBuilder tall = new StringBuilder();
        for (int i = 0; i < 120; i++) {
            tall.append("<p>row ").append(i).append("</p>\n");
        }
        Path page = write(dir.resolve("index.html"), "<!doctype html><html><head><meta charset=\"utf-8\"><title>ok</title>"
                + "<style>body{font-family:sans-serif} p{margin:0;height:20px}</style></head><body>"
                + "<h1>ok</h1><img src=\"good.png\" alt=\"good\"><a href=\"#bottom\">down</a>" + tall
                + "<p id=\"bottom\">end</p></body></html>");
        Path shot = dir.resolve("shots/ok.png");

        Browser.Result r = Browser.check(page, shot);

        assertTrue(r.clean(), r.describe());
        assertEquals(1, r.images(), r.describe());
        // The screenshot is the whole page, beyond the 1024-pixel window.
        assertTrue(r.pageHeight() > 120 * 20, r.describe());
        BufferedImage image = ImageIO.read(shot.toFile());
        assertNotNull(image, "screenshot does not decode");
        assertEquals(r.pageWidth(), image.getWidth(), r.describe());
        assertEquals(r.pageHeight(), image.getHeight(), r.describe());
    }

    @Test
    void reportsABrokenImageConsoleErrorsAndRemoteReferences(@TempDir Path dir) throws IOException {
        writePng(dir.resolve("good.png"), 40, 30);
        Path page = write(dir.resolve("index.html"), "<!doctype html><html><head><meta charset=\"utf-8\"><title>bad</title>"
                + "<link rel=\"stylesheet\" href=\"https://cdn.example.invalid/style.css\">"
                + "<style>div.bg{background:url('http://img.example.invalid/bg.png')}</style></head><body>"
                + "<img src=\"good.png\" alt=\"good\"><img src=\"missing.png\" alt=\"missing\">"
                + "<div class=\"bg\">x</div><a href=\"https://example.invalid/paper\">paper</a>"
                + "<script>console.error('boom from the page'); console.warn('careful from the page');</script>"
                + "</body></html>");

        Browser.Result r = Browser.check(page, dir.resolve("bad.png"));

        assertFalse(r.clean(), r.describe());
        assertEquals(2, r.images(), r.describe());
        assertEquals(List.of("missing.png"), r.brokenImages(), r.describe());
        assertTrue(has(r.consoleErrors(), "boom from the page"), r.describe());
        assertTrue(has(r.consoleWarnings(), "careful from the page"), r.describe());
        // Failed loads reach the console too: the missing file and the unresolvable remote style sheet.
        assertTrue(has(r.consoleErrors(), "missing.png"), r.describe());
        assertTrue(has(r.consoleErrors(), "cdn.example.invalid"), r.describe());
        assertTrue(has(r.externalReferences(), "https://cdn.example.invalid/style.css"), r.describe());
        assertTrue(has(r.externalReferences(), "http://img.example.invalid/bg.png"), r.describe());
        assertTrue(has(r.externalReferences(), "https://example.invalid/paper"), r.describe());
        assertTrue(Files.size(dir.resolve("bad.png")) > 0);
    }

    private static boolean has(List<String> lines, String part) {
        return lines.stream().anyMatch(l -> l.contains(part));
    }

    private static Path write(Path file, String html) throws IOException {
        return Files.writeString(file, html);
    }

    private static void writePng(Path file, int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.ORANGE);
        g.fillRect(0, 0, width, height);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }
}
