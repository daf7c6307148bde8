package dev.carousel.spark;

import static dev.carousel.spark.FileFormats.bad;
import static dev.carousel.spark.FileFormats.display;
import static dev.carousel.spark.FileFormats.quote;

import dev.carousel.spark.Candidate.OrderKey;
import dev.carousel.spark.FileFormats.Layout;
import dev.carousel.spark.FileFormats.Read;
import dev.carousel.spark.Located.ByPosition;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The CSV layout: a header, then one line per step {@code seq_id, t, x1..xI[, y]}. Headers are checked, and
 * compared across files, on the driver; each line is parsed on its own ({@link CsvLine}), then the lines of a
 * {@code seq_id} become one {@link Candidate}. Package-private plumbing of {@link FileDataset}.
 */
final class CsvFormat {
    private static final Pattern X_NAME = Pattern.compile("x(\\d+)");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern NON_FINITE = Pattern.compile("[+-]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);
    private static final Pattern STEP = Pattern.compile("\\d{1,9}");
    private static final Pattern CANONICAL_INTEGER = Pattern.compile("0|-?[1-9]\\d{0,17}");
    private static final String CSV_COLUMNS = "seq_id, t, x1..xI and optionally y";

    private CsvFormat() {}

    /** x columns in a canonical order: x1, x2, …, x10 by number, then any other x-names by name. */
    static final Comparator<String> X_ORDER = Comparator
            .comparing((String n) -> X_NAME.matcher(n).matches() ? 0 : 1)
            .thenComparing(n -> X_NAME.matcher(n).matches() ? new java.math.BigInteger(n.substring(1)) : java.math.BigInteger.ZERO)
            .thenComparing(Comparator.naturalOrder());

    /** A parsed header: where each needed column is, and the x names in canonical order. */
    record Header(String file, Map<String, Integer> position, List<String> xNames, boolean hasY, int width) {}

    /** Parses a header line, or throws naming {@code file:1}. */
    static Header header(String file, String line) {
        List<String> names = splitCsv(line);
        if (line.isBlank() || names == null) {
            throw bad(file + ":1: " + (names == null ? "header has an unterminated quote" : "header line is empty")
                    + "; expected the columns " + CSV_COLUMNS);
        }
        Map<String, Integer> position = new HashMap<>();
        List<String> xs = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i).strip();
            if (position.put(n, i) != null) {
                throw bad(file + ":1: column " + quote(n) + " appears twice in the header");
            }
            if (n.startsWith("x")) {
                xs.add(n);
            } else if (!n.equals("seq_id") && !n.equals("t") && !n.equals("y")) {
                throw bad(file + ":1: unknown column " + quote(n) + "; expected the columns " + CSV_COLUMNS);
            }
        }
        for (String needed : new String[] {"seq_id", "t"}) {
            if (!position.containsKey(needed)) {
                throw bad(file + ":1: header has no " + needed + " column; expected the columns " + CSV_COLUMNS);
            }
        }
        if (xs.isEmpty()) {
            throw bad(file + ":1: header has no x column; expected the columns " + CSV_COLUMNS);
        }
        xs.sort(X_ORDER);
        return new Header(file, position, xs, position.containsKey("y"), names.size());
    }

    /** One CSV data line. {@code y} is null when the line leaves it empty (or there is no y column). */
    record CsvLine(String file, long row, String seqId, long t, double[] x, Double y, String problem)
            implements Located, Serializable {
        private static final long serialVersionUID = 1L;
    }

    static Read read(SparkSession spark, DataLocation path) {
        return FileFormats.fromWholeFiles(spark, path, (files, transients) -> read(path, files, transients));
    }

    private static Read read(DataLocation path, JavaRDD<Row> files, List<JavaRDD<?>> transients) {
        // Headers are small: check them, and their agreement across files, on the driver.
        List<String[]> heads = new ArrayList<>(files.map(r -> {
            String[] ls = lines(r.getString(1));
            return new String[] {display(r.getString(0)), ls.length == 0 ? "" : ls[0]};
        }).collect());
        heads.sort(Comparator.comparing((String[] h) -> h[0]));
        if (heads.isEmpty()) {
            throw bad(path + ": no CSV files found");
        }
        Header reference = null;
        for (String[] h : heads) {
            Header hd = header(h[0], h[1]);
            if (reference == null) {
                reference = hd;
            } else if (!hd.xNames().equals(reference.xNames()) || hd.hasY() != reference.hasY()) {
                throw bad(hd.file() + ":1: header has " + columns(hd) + ", expected " + columns(reference) + " as in "
                        + reference.file());
            }
        }
        List<String> xNames = new ArrayList<>(reference.xNames());
        boolean hasY = reference.hasY();
        JavaRDD<CsvLine> lines = files.flatMap(r -> dataLines(display(r.getString(0)), r.getString(1), xNames).iterator())
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        transients.add(lines);
        List<CsvLine> firstBad = lines.filter(l -> l.problem() != null).takeOrdered(1, new ByPosition<CsvLine>());
        if (!firstBad.isEmpty()) {
            CsvLine l = firstBad.get(0);
            throw bad(l.file() + ":" + l.row() + ": " + l.problem());
        }
        if (lines.isEmpty()) {
            throw bad(path + ": no data lines after the header; expected one line per step with " + CSV_COLUMNS);
        }
        JavaRDD<Candidate> candidates = lines.mapToPair(l -> new scala.Tuple2<>(l.seqId(), l)).groupByKey()
                .map(g -> sequence(g._1(), g._2(), xNames.size(), hasY));
        return new Read(candidates, hasY ? Layout.CSV_TARGET : Layout.CSV_NEXT_STEP, "sequence", "", transients);
    }

    private static String columns(Header h) {
        return "columns " + String.join(", ", h.xNames()) + (h.hasY() ? " and y" : " and no y");
    }

    /** Splits one CSV line on commas; double quotes protect commas, "" is a quote. Null if a quote is left open. */
    static List<String> splitCsv(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    f.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(f.toString());
                f.setLength(0);
            } else {
                f.append(c);
            }
        }
        if (quoted) {
            return null;
        }
        out.add(f.toString());
        return out;
    }

    /** The data lines of one file (its header already checked on the driver). */
    static List<CsvLine> dataLines(String file, String content, List<String> xNames) {
        String[] ls = lines(content);
        Header h = header(file, ls.length == 0 ? "" : ls[0]);
        int[] xAt = new int[xNames.size()];
        for (int i = 0; i < xAt.length; i++) {
            xAt[i] = h.position().get(xNames.get(i));
        }
        int idAt = h.position().get("seq_id");
        int tAt = h.position().get("t");
        Integer yAt = h.position().get("y");
        String shape = "; expected " + h.width() + " fields like the header";
        List<CsvLine> out = new ArrayList<>();
        for (int n = 1; n < ls.length; n++) {
            if (ls[n].isBlank()) {
                continue;
            }
            long lineNo = n + 1L;
            List<String> fs = splitCsv(ls[n]);
            if (fs == null) {
                out.add(new CsvLine(file, lineNo, "", -1, null, null, "unterminated quoted field" + shape));
                continue;
            }
            if (fs.size() != h.width()) {
                out.add(new CsvLine(file, lineNo, "", -1, null, null, "has " + fs.size() + " fields" + shape));
                continue;
            }
            String id = fs.get(idAt).strip();
            String problem = id.isEmpty() ? "seq_id is empty; expected a sequence identifier" : null;
            String tv = fs.get(tAt).strip();
            long t = -1;
            if (problem == null) {
                if (STEP.matcher(tv).matches()) {
                    t = Long.parseLong(tv);
                } else {
                    problem = "t = " + quote(tv) + " is not a step number; expected an integer 0..T-1";
                }
            }
            double[] x = new double[xAt.length];
            for (int i = 0; i < xAt.length && problem == null; i++) {
                problem = number(xNames.get(i), fs.get(xAt[i]), x, i);
            }
            Double y = null;
            if (problem == null && yAt != null && !fs.get(yAt).isBlank()) {
                double[] yv = new double[1];
                problem = number("y", fs.get(yAt), yv, 0);
                y = yv[0];
            }
            out.add(new CsvLine(file, lineNo, id, t, x, y, problem));
        }
        return out;
    }

    /** Parses a decimal number into {@code into[at]}, or says what is wrong with it. */
    static String number(String name, String raw, double[] into, int at) {
        String v = raw.strip();
        if (v.isEmpty()) {
            return name + " is empty; expected a number";
        }
        if (NON_FINITE.matcher(v).matches()) {
            return name + " = " + v + "; expected a finite number";
        }
        if (!DECIMAL.matcher(v).matches()) {
            return name + " = " + quote(v) + " is not a number; expected a decimal number";
        }
        double d = Double.parseDouble(v);
        if (!Double.isFinite(d)) {
            return name + " = " + v + " overflows to " + d + "; expected a finite number";
        }
        into[at] = d;
        return null;
    }

    /** All the lines of one seq_id, as a sequence: t must run 0..T−1 once each. */
    static Candidate sequence(String id, Iterable<CsvLine> group, int features, boolean hasY) {
        List<CsvLine> ls = new ArrayList<>();
        group.forEach(ls::add);
        ByPosition<CsvLine> byPosition = new ByPosition<>();
        ls.sort(Comparator.comparingLong(CsvLine::t).thenComparing(byPosition));
        CsvLine first = ls.stream().min(byPosition).orElseThrow();
        OrderKey order = CANONICAL_INTEGER.matcher(id).matches() ? new OrderKey("", Long.parseLong(id))
                : new OrderKey(id, 0);
        String subject = " (seq_id " + quote(id).replace("'", "") + ")";
        for (int k = 0; k < ls.size(); k++) {
            CsvLine l = ls.get(k);
            if (k > 0 && l.t() == ls.get(k - 1).t()) {
                CsvLine prev = ls.get(k - 1);
                String at = prev.file().equals(l.file()) ? "line " + prev.row() : prev.file() + ":" + prev.row();
                return problem(l, subject, order, "t = " + l.t() + " appears again (first at " + at
                        + "); expected each step once");
            }
            if (l.t() != k) {
                return problem(first, subject, order, "t = " + k + " is missing (found " + ls.size()
                        + " steps, t up to " + ls.get(ls.size() - 1).t() + "); expected t = 0..T-1");
            }
        }
        int steps = ls.size();
        double[] x = new double[Math.multiplyExact(steps, features)];
        for (int t = 0; t < steps; t++) {
            System.arraycopy(ls.get(t).x(), 0, x, t * features, features);
        }
        double[] y = null;
        String late = null;
        if (hasY) {
            CsvLine last = ls.get(steps - 1);
            if (last.y() == null) {
                // Reported only if the sequence is as long as the others: else its last line is simply missing.
                late = last.file() + ":" + last.row() + subject + ": y is empty at the last step t = " + last.t()
                        + "; expected the sequence's target";
            } else {
                y = new double[] {last.y()};
            }
        }
        return new Candidate(first.file(), first.row(), first.file() + ":" + first.row() + subject, order, steps,
                features, hasY ? 1 : -1, -1, x, y, null, late);
    }

    private static Candidate problem(CsvLine at, String subject, OrderKey order, String problem) {
        return new Candidate(at.file(), at.row(), at.file() + ":" + at.row() + subject, order, 0, -1, -1, -1,
                new double[0], null, problem, null);
    }

    private static String[] lines(String content) {
        String[] ls = content.split("\n", -1);
        for (int i = 0; i < ls.length; i++) {
            if (ls[i].endsWith("\r")) {
                ls[i] = ls[i].substring(0, ls[i].length() - 1);
            }
        }
        if (ls.length > 0 && ls[0].startsWith("\uFEFF")) {
            ls[0] = ls[0].substring(1);
        }
        return ls;
    }
}
