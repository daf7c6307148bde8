package dev.carousel.experiment;

import java.util.Locale;

/**
 * One expectation of an experiment and what was measured against it.
 *
 * @param expectation what the literature says should happen, in one line
 * @param pass        whether the measurement meets it
 * @param measured    the figures it was judged on
 */
public record Check(String expectation, boolean pass, String measured) {
    /** {@code PASS  expectation — measured} (or FAIL). */
    public String line() {
        return String.format(Locale.ROOT, "%s  %s — %s", pass ? "PASS" : "FAIL", expectation, measured);
    }
}
