package dev.carousel.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A continuous colour scale (viridis: dark blue-purple at the low end, yellow at the high end; readable in grey and
 * by the colour-blind) over [lo, hi], and its colour bar. XChart 3.8 colours a series with one colour and has no
 * colour bar, so figures that colour points by a continuous value use this scale and paint the bar beside the plot.
 */
final class ColourScale {
    /** Width in pixels a colour bar with its labels takes at the right of a figure. */
    static final int BAR_WIDTH = 120;

    private static final Color[] STOPS = {new Color(68, 1, 84), new Color(59, 82, 139), new Color(33, 145, 140),
        new Color(94, 201, 98), new Color(253, 231, 37)};

    final double lo;
    final double hi;
    final String title;

    ColourScale(double lo, double hi, String title) {
        this.lo = lo;
        this.hi = hi > lo ? hi : lo + 1;
        this.title = title;
    }

    /** The colour of {@code v}, clamped to the scale's range. */
    Color colour(double v) {
        double f = Math.max(0, Math.min(1, (v - lo) / (hi - lo)));
        double x = f * (STOPS.length - 1);
        int i = Math.min(STOPS.length - 2, (int) Math.floor(x));
        double w = x - i;
        Color a = STOPS[i];
        Color b = STOPS[i + 1];
        return new Color((int) Math.round(a.getRed() + w * (b.getRed() - a.getRed())),
                (int) Math.round(a.getGreen() + w * (b.getGreen() - a.getGreen())),
                (int) Math.round(a.getBlue() + w * (b.getBlue() - a.getBlue())));
    }

    /**
     * Paints the bar into the rectangle (x, y, {@link #BAR_WIDTH}, height): the title on top, the gradient, and
     * about five ticks at round values labelled with {@link #format}.
     */
    void paint(Graphics2D g, int x, int y, int height) {
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(x, y, BAR_WIDTH, height);
        int top = y + 60;
        int bottom = y + height - 60;
        int left = x + 14;
        int width = 18;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.DARK_GRAY);
        List<String> lines = wrap(title, 16);
        for (int i = 0; i < lines.size() && i < 3; i++) {
            g.drawString(lines.get(i), x + 6, top - 36 + 14 * i);
        }
        for (int py = top; py <= bottom; py++) {
            g.setColor(colour(hi - (py - top) / (double) (bottom - top) * (hi - lo)));
            g.drawLine(left, py, left + width, py);
        }
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(left, top, width, bottom - top);
        g.setColor(Color.DARK_GRAY);
        for (double t : ticks(lo, hi)) {
            int py = (int) Math.round(bottom - (t - lo) / (hi - lo) * (bottom - top));
            g.drawLine(left + width, py, left + width + 4, py);
            g.drawString(format(t, hi - lo), left + width + 7, py + 4);
        }
    }

    /** About five round values in [lo, hi]: multiples of 1, 2 or 5 × 10^k. */
    static List<Double> ticks(double lo, double hi) {
        double raw = (hi - lo) / 5;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        List<Double> out = new ArrayList<>();
        for (double t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
            out.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
        }
        return out;
    }

    /** {@code v} with as many decimals as a range of {@code span} needs (two significant digits of the span). */
    static String format(double v, double span) {
        if (Double.isNaN(v)) {
            return "–";
        }
        int decimals = span <= 0 ? 3 : Math.max(0, Math.min(6, 1 - (int) Math.floor(Math.log10(span))));
        String out = String.format(Locale.ROOT, "%." + decimals + "f", v);
        return out.matches("-0(\\.0*)?") ? out.substring(1) : out; // no "-0.0" for a value that rounds to zero
    }

    /** {@code v} with three significant digits and no trailing zeros: 2.980947 → 2.98, −1.0 → −1. */
    static String shortNumber(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e6) {
            return String.valueOf((long) v);
        }
        String s = String.format(Locale.ROOT, "%.3g", v);
        if (s.contains("e")) {
            return s;
        }
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    private static List<String> wrap(String text, int width) {
        List<String> out = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                out.add(line.toString());
                line.setLength(0);
            }
            line.append(line.length() > 0 ? " " : "").append(word);
        }
        if (line.length() > 0) {
            out.add(line.toString());
        }
        return out;
    }
}
