package dev.carousel.report;

import dev.carousel.report.ReportData.RunInfo;
import java.awt.Color;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * How a report places cells along an axis and colours them, so that its figures read the same at 10 cells and at
 * 10,000: a few distinct values become categories (evenly spaced, one legend entry each); more than
 * {@value #MAX_LEGEND} become a continuous axis and a colour scale with a colour bar ({@link ColourScale}).
 *
 * <p>An {@link Axis} gives each cell a number, or else a category: the forget-gate setting axis gives a
 * {@code learned} cell its initial forget bias and every other cell its mode ({@code chrono}, {@code fixed(1)},
 * {@code none}, {@code rnn}); a sweep's axis column gives its value.
 */
final class Encoding {
    /** The most legend entries a figure shows. */
    static final int MAX_LEGEND = 12;

    static final Color[] PALETTE = {
        new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
        new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
        new Color(188, 189, 34), new Color(23, 190, 207), new Color(0, 0, 0), new Color(174, 199, 232)};

    /** The series of the categories beyond {@value #MAX_LEGEND}. */
    private static final String OTHER = "\u0000other";

    /** Categories of the setting axis that come after the biases, in this order. */
    private static final List<String> MODE_ORDER = List.of("chrono", "uniform", "fixed", "none", ReportData.RNN);

    private Encoding() {}

    /**
     * An axis: {@code number} gives a cell's value, or null for a cell that has a category instead, which
     * {@code category} gives; {@code prefix} goes before a number in a label ("bias 1").
     */
    record Axis(String name, String title, String prefix, Function<RunInfo, Double> number,
                Function<RunInfo, String> category) {
        /** The cell's key: its number or its category. */
        Object key(RunInfo r) {
            Double n = number.apply(r);
            return n != null ? (Object) n : category.apply(r);
        }

        String label(Object key) {
            return key instanceof Double d ? prefix + ColourScale.shortNumber(d) : String.valueOf(key);
        }
    }

    /** The forget-gate setting: a learned cell's initial forget bias, or the mode of any other cell. */
    static Axis setting() {
        return new Axis("setting", "forget-gate setting (learned: initial forget bias b_f)", "bias ", RunInfo::bias, r -> {
            if (!r.lstm()) {
                return ReportData.RNN;
            }
            String s = r.setting();
            Double p = ReportData.parameter(s);
            if (s.startsWith("chrono")) {
                return "chrono";
            }
            return p == null ? s : s.substring(0, s.indexOf('(')) + "(" + ColourScale.shortNumber(p) + ")";
        });
    }

    /** A sweep's axis column, {@code axis_<key>}; numeric or not as the column is. */
    static Axis column(String column, boolean numeric) {
        String title = column.substring("axis_".length());
        return new Axis(column, title, "", r -> {
            Object v = r.axes().get(column);
            return numeric && v instanceof Number n ? n.doubleValue() : null;
        }, r -> {
            Object v = r.axes().get(column);
            return v == null ? "n/a" : String.valueOf(v);
        });
    }

    /** Categories in axis order: known setting modes by {@link #MODE_ORDER}, then alphabetically. */
    private static Comparator<String> categoryOrder() {
        return Comparator.comparingInt((String c) -> {
            int i = MODE_ORDER.indexOf(c.replaceFirst("\\(.*", ""));
            return i < 0 ? MODE_ORDER.size() : i;
        }).thenComparing(Comparator.naturalOrder());
    }

    /** The distinct numbers and categories of {@code axis} over {@code cells}. */
    private static List<Object> keys(Axis axis, List<RunInfo> cells) {
        TreeSet<Double> numbers = new TreeSet<>();
        TreeSet<String> categories = new TreeSet<>(categoryOrder());
        for (RunInfo r : cells) {
            Double n = axis.number().apply(r);
            if (n != null) {
                numbers.add(n);
            } else {
                categories.add(axis.category().apply(r));
            }
        }
        List<Object> out = new ArrayList<>(numbers);
        out.addAll(categories);
        return out;
    }

    /**
     * Where cells go along an axis. Categorical (at most {@value #MAX_LEGEND} keys): key i at position i, labelled.
     * Continuous: a number at itself, the categories after the largest number one step apart.
     */
    static final class Placement {
        final Axis axis;
        final boolean categorical;
        final Map<Object, Double> positions = new LinkedHashMap<>();
        private final double step;

        Placement(Axis axis, List<RunInfo> cells) {
            this.axis = axis;
            List<Object> keys = keys(axis, cells);
            this.categorical = keys.size() <= MAX_LEGEND;
            double lo = keys.stream().filter(k -> k instanceof Double).mapToDouble(k -> (Double) k).min().orElse(0);
            double hi = keys.stream().filter(k -> k instanceof Double).mapToDouble(k -> (Double) k).max().orElse(0);
            List<Double> ticks = ColourScale.ticks(lo, hi > lo ? hi : lo + 1);
            this.step = categorical ? 1 : ticks.size() > 1 ? ticks.get(1) - ticks.get(0) : 1;
            double next = categorical ? 0 : Math.ceil(hi / step) * step + step;
            for (Object k : keys) {
                if (categorical) {
                    positions.put(k, next++);
                } else if (k instanceof Double d) {
                    positions.put(k, d);
                } else {
                    positions.put(k, next);
                    next += step;
                }
            }
        }

        Double position(RunInfo r) {
            return positions.get(axis.key(r));
        }

        private final Map<Double, Integer> blanks = new java.util.HashMap<>();

        /** The label XChart's tick at {@code x} shows (an invisible one between categories). */
        String tick(double x) {
            for (Map.Entry<Object, Double> e : positions.entrySet()) {
                if (Math.abs(e.getValue() - x) < 1e-6 * Math.max(1, step) && (categorical || !(e.getKey() instanceof Double))) {
                    return axis.label(e.getKey());
                }
            }
            if (categorical) {
                return Charts.blank(x, blanks);
            }
            boolean beyond = positions.entrySet().stream().anyMatch(e -> !(e.getKey() instanceof Double)
                    && x >= e.getValue() - step / 2);
            return beyond ? Charts.blank(x, blanks) : ColourScale.shortNumber(x);
        }
    }

    /**
     * How cells are coloured by an axis: a palette colour per key when there are at most {@value #MAX_LEGEND}
     * keys, else numbers on a {@link ColourScale} (no legend entries, a colour bar) and categories from the
     * palette.
     */
    static final class Colouring {
        final Axis axis;
        final ColourScale scale;
        /** The keys with a legend entry, and their colours, in axis order; others are grey, without entry. */
        final Map<Object, Color> legend = new LinkedHashMap<>();
        /** Whether some categories beyond {@value #MAX_LEGEND} are drawn grey without a legend entry. */
        boolean overflow;

        Colouring(Axis axis, List<RunInfo> cells) {
            this.axis = axis;
            List<Object> keys = keys(axis, cells);
            boolean continuous = keys.size() > MAX_LEGEND && keys.stream().anyMatch(k -> k instanceof Double);
            if (continuous) {
                double lo = keys.stream().filter(k -> k instanceof Double).mapToDouble(k -> (Double) k).min().orElse(0);
                double hi = keys.stream().filter(k -> k instanceof Double).mapToDouble(k -> (Double) k).max().orElse(1);
                scale = new ColourScale(lo, hi, axis.name().equals("setting") ? "initial forget bias b_f" : axis.title());
            } else {
                scale = null;
            }
            int i = 0;
            for (Object k : keys) {
                if (scale == null || !(k instanceof Double)) {
                    if (i < MAX_LEGEND) {
                        legend.put(k, PALETTE[i]);
                    } else {
                        overflow = true;
                    }
                    i++;
                }
            }
        }

        Color colour(RunInfo r) {
            Object k = axis.key(r);
            if (scale != null && k instanceof Double d) {
                return scale.colour(d);
            }
            return legend.getOrDefault(k, Color.GRAY);
        }

        /**
         * The series a cell's mark belongs to: its legend key, or on a scale its colour (binned to 64 steps), so a
         * figure has one series per colour, not per cell.
         */
        Object series(RunInfo r) {
            Object k = axis.key(r);
            if (scale != null && k instanceof Double d) {
                return (int) Math.round(Math.max(0, Math.min(1, (d - scale.lo) / (scale.hi - scale.lo))) * 63);
            }
            return legend.containsKey(k) ? k : OTHER;
        }

        /** The legend label of a series key, or null for a colour-scale series (no legend entry). */
        String legendLabel(Object series) {
            return legend.containsKey(series) ? axis.label(series) : null;
        }

        /** The colour of a series key. */
        Color seriesColour(Object series) {
            if (legend.containsKey(series)) {
                return legend.get(series);
            }
            if (OTHER.equals(series)) {
                return Color.GRAY;
            }
            int bin = (Integer) series;
            return scale.colour(scale.lo + bin / 63.0 * (scale.hi - scale.lo));
        }
    }

    static String describe(Colouring c) {
        return c.scale != null ? "coloured by " + c.axis.title() + " (colour bar)" : "coloured by " + c.axis.title();
    }
}
