package dev.carousel.report;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Opens a local HTML file in headless Chromium, as a reader opening a report from disk would, and says what went
 * wrong there: images that did not load, the browser console's errors and warnings (failed resource loads among
 * them), references to anything that is not a local file (a report must work offline, with no CDN), and a
 * full-page screenshot.
 *
 * <p>Selenium drives Debian's {@code chromium} through Debian's {@code chromium-driver}, both at given paths:
 * Selenium Manager is never asked for a driver or a browser, and nothing is downloaded. The browser resolves no
 * host name at all ({@code --host-resolver-rules}), so the page is seen exactly as it is offline and an http(s)
 * reference fails on this machine rather than reaching out. Where either program is missing, {@link
 * #assumeAvailable()} skips the calling test, or fails it when {@code CAROUSEL_REQUIRE_CHROMIUM=1} (CI).
 */
public final class Browser {
    /** Debian's chromium (package {@code chromium}); the system property {@code carousel.chromium} names another. */
    public static final Path CHROMIUM = Path.of(System.getProperty("carousel.chromium", "/usr/bin/chromium"));
    /**
     * Debian's ChromeDriver (package {@code chromium-driver}), of the same version as {@link #CHROMIUM}; the system
     * property {@code carousel.chromedriver} names another.
     */
    public static final Path CHROMEDRIVER = Path.of(System.getProperty("carousel.chromedriver", "/usr/bin/chromedriver"));
    /** Set to {@code 1} to make a missing browser a test failure instead of a skipped test. */
    public static final String REQUIRE_ENV = "CAROUSEL_REQUIRE_CHROMIUM";

    static final int WIDTH = 1280;
    static final int HEIGHT = 1024;
    static final Duration PAGE_LOAD_TIMEOUT = Duration.ofSeconds(120);

    /**
     * Selenium warns at every start that it has no DevTools module for this Chromium's version; none is needed here
     * ({@code executeCdpCommand} goes through ChromeDriver's own endpoint), so its finder logs errors only. Held here
     * because java.util.logging keeps loggers weakly.
     */
    private static final Logger CDP_VERSION_FINDER = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    static {
        CDP_VERSION_FINDER.setLevel(Level.SEVERE);
    }

    /** Every image's state, read after the load event (which waits for all images). */
    private static final String IMAGES_JS = """
            return Array.from(document.images).map(i => ({
                src: i.getAttribute('src') || i.currentSrc || '',
                complete: i.complete,
                width: i.naturalWidth}));""";

    /**
     * Every reference to a non-file resource: URL-bearing attributes resolved against the page (so a
     * protocol-relative {@code //host/x} counts too), {@code url(...)} and {@code @import} in style sheets and style
     * attributes, and whatever the page actually fetched (resource timing entries).
     */
    private static final String EXTERNAL_JS = """
            const found = [];
            const remote = u => {
                try {
                    const url = new URL(u.trim(), document.baseURI);
                    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ftp:'
                        || url.protocol === 'ws:' || url.protocol === 'wss:'
                        || (url.protocol === 'file:' && url.host !== '');
                } catch (e) { return false; }
            };
            const urlAttributes = ['src', 'href', 'poster', 'data', 'action', 'formaction', 'background', 'cite',
                'manifest', 'xlink:href', 'longdesc', 'ping'];
            const cssUrls = /url\\(\\s*['"]?([^'")\\s]+)|@import\\s+['"]([^'"]+)/gi;
            const fromCss = (where, text) => {
                for (const m of text.matchAll(cssUrls)) {
                    const u = m[1] || m[2];
                    if (remote(u)) found.push(where + ': ' + u);
                }
            };
            for (const el of document.querySelectorAll('*')) {
                const tag = el.tagName.toLowerCase();
                for (const a of el.attributes) {
                    const name = a.name.toLowerCase();
                    if (urlAttributes.includes(name) && remote(a.value)) {
                        found.push('<' + tag + ' ' + name + '="' + a.value + '">');
                    } else if (name === 'srcset' || name === 'imagesrcset') {
                        for (const part of a.value.split(',')) {
                            const u = part.trim().split(/\\s+/)[0];
                            if (u && remote(u)) found.push('<' + tag + ' ' + name + '="' + u + '">');
                        }
                    } else if (name === 'style') {
                        fromCss('<' + tag + ' style>', a.value);
                    }
                }
                if (tag === 'style') fromCss('<style>', el.textContent);
            }
            for (const e of performance.getEntriesByType('resource')) {
                if (remote(e.name)) found.push('fetched: ' + e.name);
            }
            return found;""";

    /** Height and width of the whole page in CSS pixels, for the full-page screenshot. */
    private static final String PAGE_SIZE_JS = """
            const d = document.documentElement, b = document.body;
            return [Math.max(d.scrollWidth, b ? b.scrollWidth : 0, d.clientWidth),
                    Math.max(d.scrollHeight, b ? b.scrollHeight : 0, d.clientHeight)];""";

    private Browser() {
    }

    /**
     * What the browser found on one page.
     *
     * @param page the file opened
     * @param screenshot where the full-page PNG was saved
     * @param images how many {@code <img>} elements the page has
     * @param brokenImages the {@code src} of every image that did not load (not complete, or natural width 0)
     * @param consoleErrors the console's errors ({@code SEVERE}), failed resource loads and script errors included
     * @param consoleWarnings the console's warnings
     * @param externalReferences every reference to a resource that is not a local file (http, https, ...)
     * @param pageWidth the page's width in CSS pixels
     * @param pageHeight the page's height in CSS pixels (the screenshot's height)
     * @param elapsed from starting the driver to the screenshot saved and the browser closed
     */
    public record Result(Path page, Path screenshot, int images, List<String> brokenImages, List<String> consoleErrors,
            List<String> consoleWarnings, List<String> externalReferences, long pageWidth, long pageHeight,
            Duration elapsed) {
        /** True if every image loaded and there is no console error or warning and no external reference. */
        public boolean clean() {
            return brokenImages.isEmpty() && consoleErrors.isEmpty() && consoleWarnings.isEmpty()
                    && externalReferences.isEmpty();
        }

        /** A multi-line account for assertion messages. */
        public String describe() {
            return page + " (" + images + " images, " + pageWidth + "×" + pageHeight + " px, screenshot " + screenshot
                    + ", " + elapsed.toMillis() + " ms)\n  broken images: " + brokenImages + "\n  console errors: "
                    + consoleErrors + "\n  console warnings: " + consoleWarnings + "\n  external references: "
                    + externalReferences;
        }
    }

    /** True if Debian's chromium and chromium-driver are installed. */
    public static boolean available() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    /**
     * Skips the calling test (a JUnit assumption) if {@link #available()} is false, or fails it if the environment
     * sets {@code CAROUSEL_REQUIRE_CHROMIUM=1}.
     */
    public static void assumeAvailable() {
        List<String> missing = new ArrayList<>();
        for (Path program : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!Files.isExecutable(program)) {
                missing.add(program.toString());
            }
        }
        if ("1".equals(System.getenv(REQUIRE_ENV))) {
            assertTrue(missing.isEmpty(), REQUIRE_ENV + "=1 but " + String.join(" and ", missing) + " cannot be run:"
                    + " install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
        }
        assumeTrue(missing.isEmpty(), String.join(" and ", missing) + " not found: browser test skipped");
    }

    /**
     * Opens {@code page} (a local HTML file) in a new headless Chromium, waits for its load event, reads the state
     * of its images, the console and its references, saves a full-page PNG screenshot to {@code screenshot}
     * (parent folders made as needed; replaced if it exists) and closes the browser.
     *
     * @throws UncheckedIOException if the screenshot cannot be written
     * @throws org.openqa.selenium.WebDriverException if the browser or driver cannot be started or the page does not
     *     load within {@link #PAGE_LOAD_TIMEOUT}
     */
    public static Result check(Path page, Path screenshot) {
        long start = System.nanoTime();
        Path file = page.toAbsolutePath().normalize();
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogOutput(OutputStream.nullOutputStream())
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--allow-file-access-from-files", "--window-size=" + WIDTH + "," + HEIGHT, "--hide-scrollbars",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--no-first-run", "--disable-extensions");
        LoggingPreferences logging = new LoggingPreferences();
        logging.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logging);
        options.setPageLoadTimeout(PAGE_LOAD_TIMEOUT);

        ChromeDriver driver = new ChromeDriver(service, options);
        try {
            driver.get(file.toUri().toString());

            int images = 0;
            List<String> broken = new ArrayList<>();
            for (Object o : (List<?>) driver.executeScript(IMAGES_JS)) {
                Map<?, ?> image = (Map<?, ?>) o;
                images++;
                boolean complete = Boolean.TRUE.equals(image.get("complete"));
                long width = ((Number) image.get("width")).longValue();
                if (!complete || width <= 0) {
                    broken.add(String.valueOf(image.get("src")));
                }
            }
            List<String> external = new ArrayList<>();
            for (Object o : (List<?>) driver.executeScript(EXTERNAL_JS)) {
                external.add(String.valueOf(o));
            }
            List<?> size = (List<?>) driver.executeScript(PAGE_SIZE_JS);
            long pageWidth = ((Number) size.get(0)).longValue();
            long pageHeight = ((Number) size.get(1)).longValue();
            saveFullPage(driver, pageWidth, pageHeight, screenshot);

            // Read last: the log holds everything since the session started (load errors included) and is
            // emptied by the read.
            List<String> errors = new ArrayList<>();
            List<String> warnings = new ArrayList<>();
            for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
                if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    errors.add(e.getMessage());
                } else if (e.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(e.getMessage());
                }
            }
            return new Result(file, screenshot, images, List.copyOf(broken), List.copyOf(errors), List.copyOf(warnings),
                    List.copyOf(external), pageWidth, pageHeight, Duration.ofNanos(System.nanoTime() - start));
        } finally {
            driver.quit();
        }
    }

    /**
     * Captures the whole page, not only the window, through the DevTools protocol's {@code Page.captureScreenshot}
     * with {@code captureBeyondViewport} and a clip of the page's size (ChromeDriver's own screenshot command takes
     * the viewport only).
     */
    private static void saveFullPage(ChromeDriver driver, long width, long height, Path screenshot) {
        Map<String, Object> clip = Map.of("x", 0, "y", 0, "width", Math.max(width, 1), "height", Math.max(height, 1),
                "scale", 1);
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot",
                Map.of("format", "png", "captureBeyondViewport", true, "fromSurface", true, "clip", clip));
        byte[] png = Base64.getDecoder().decode((String) shot.get("data"));
        try {
            Path parent = screenshot.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.write(screenshot, png);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write screenshot " + screenshot + ": " + e, e);
        }
    }
}
