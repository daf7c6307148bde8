package dev.carousel.spark;

import static org.apache.spark.sql.functions.col;

import dev.carousel.spark.Located.ByPosition;
import dev.carousel.spark.Candidate.OrderKey;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ParquetDecodingException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.SchemaColumnConvertNotSupportedException;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The three file layouts, each turned into {@link Candidate} sequences plus the facts the dataset-wide
 * checks need. Everything a reader can judge row by row (or line by line) becomes the candidate's
 * {@code problem}; line-level CSV problems and file-level problems are thrown here, as one-line
 * {@link IllegalArgumentException}s. Package-private plumbing of {@link FileDataset}.
 */
final class FileFormats {
    private FileFormats() {}

    /** How raw candidates become inputs and targets. */
    enum Layout {
        /** Parquet {@code features} + {@code target}: MSE at the last step, O = target length. */
        PARQUET_TARGET,
        /** Parquet {@code features} + {@code label}: cross-entropy at the last step, one-hot over O classes. */
        PARQUET_LABEL,
        /** CSV with a {@code y} column: MSE at the last step, O = 1. */
        CSV_TARGET,
        /** CSV without {@code y}: predict x_{t+1} from x_0..x_t, MSE at every step, T = stored steps − 1, O = I. */
        CSV_NEXT_STEP,
        /** Text windows: one-hot characters, cross-entropy at every step. */
        TEXT
    }

    /**
     * What a reader found.
     *
     * @param candidates   the sequences, lazily computed
     * @param layout       how to expand them
     * @param stepsSubject what a message about a sequence's length calls it ("features", "sequence")
     * @param vocabulary   text only: the characters in one-hot order; else ""
     * @param transients   RDDs the reader persisted, to unpersist once the dataset is built
     */
    record Read(JavaRDD<Candidate> candidates, Layout layout, String stepsSubject, String vocabulary,
                List<JavaRDD<?>> transients) {}

    static IllegalArgumentException bad(String message) {
        return new IllegalArgumentException(oneLine(message));
    }

    /** One line, whatever the source (user data, Spark's messages). */
    static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** A user-supplied value for a message: control characters escaped, at most 40 characters. */
    static String quote(String v) {
        StringBuilder b = new StringBuilder("'");
        v.codePoints().limit(40).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format(Locale.ROOT, "\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        if (v.codePointCount(0, v.length()) > 40) {
            b.append("...");
        }
        return b.append('\'').toString();
    }

    /** A Spark file URI ({@code _metadata.file_path}) as a local path when it is one. */
    static String display(String uri) {
        try {
            URI u = new URI(uri);
            if ("file".equals(u.getScheme())) {
                return java.nio.file.Path.of(u).toString();
            }
        } catch (Exception e) {
            // not a URI we can map: show it as Spark gave it
        }
        return uri;
    }

    static String sparkPath(DataLocation path) {
        return path.forSpark();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return oneLine(m);
    }

    /**
     * Why a Spark job failed reading the data, in one line, if it failed for the data's sake: a Parquet column
     * whose type differs from the schema Spark took from another file, an undecodable Parquet page, an I/O error
     * (a file deleted or made unreadable meanwhile). Null if nothing in the cause chain is a read failure.
     */
    static String readFailure(Throwable e) {
        Throwable above = null;
        Set<Throwable> seen = new HashSet<>();
        for (Throwable t = e; t != null && seen.add(t); above = t, t = t.getCause()) {
            if (t instanceof SchemaColumnConvertNotSupportedException convert) {
                // Spark's wrapper names the file; the cause only the column and the types.
                String inFile = above == null || above.getMessage() == null ? "" : oneLine(above.getMessage());
                int at = inFile.indexOf("Parquet column cannot be converted");
                return at >= 0 ? inFile.substring(at).replaceAll("\\.$", "")
                        : "column " + convert.getColumn() + " is " + convert.getPhysicalType() + " in one file, "
                                + convert.getLogicalType() + " in another";
            }
            if (t instanceof ParquetDecodingException || t instanceof IOException) {
                return oneLine(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------
    // Parquet: one row per sequence, features array<array<float|double>> [T][I], target array or label int.

    static Read parquet(SparkSession spark, DataLocation path, List<DataLocation> files) {
        String shown = path.toString();
        List<StructType> footers = footers(spark, files);
        Dataset<Row> df;
        try {
            df = spark.read().parquet(sparkPath(path));
        } catch (Exception e) {
            throw bad(shown + ": cannot be read as Parquet: " + rootMessage(e) + "; expected Parquet files for data.format = "
                    + "parquet (csv or text data needs data.format = csv or text)");
        }
        StructType schema = df.schema();
        Set<String> names = new HashSet<>(Arrays.asList(schema.fieldNames()));
        String expected = "; expected features: array<array<float>> and either target: array<float> or label: int";
        if (!names.contains("features")) {
            throw bad(shown + ": has no 'features' column (columns: " + String.join(", ", schema.fieldNames()) + ")" + expected);
        }
        DataType ft = schema.apply("features").dataType();
        if (!(ft instanceof ArrayType a && a.elementType() instanceof ArrayType b && isReal(b.elementType()))) {
            throw bad(shown + ": column features has type " + ft.simpleString() + expected);
        }
        boolean hasTarget = names.contains("target");
        boolean hasLabel = names.contains("label");
        if (hasTarget == hasLabel) {
            throw bad(shown + (hasTarget ? ": has both a target and a label column" : ": has neither a target nor a label column")
                    + expected);
        }
        if (hasTarget) {
            DataType tt = schema.apply("target").dataType();
            if (!(tt instanceof ArrayType ta && isReal(ta.elementType()))) {
                throw bad(shown + ": column target has type " + tt.simpleString() + "; expected array<float> or array<double>");
            }
        } else {
            DataType lt = schema.apply("label").dataType();
            if (!(lt.equals(DataTypes.IntegerType) || lt.equals(DataTypes.LongType) || lt.equals(DataTypes.ShortType)
                    || lt.equals(DataTypes.ByteType))) {
                throw bad(shown + ": column label has type " + lt.simpleString() + "; expected an integer type (int)");
            }
        }
        checkAgreement(files, footers, schema, hasLabel ? "label" : "target");
        Dataset<Row> rows = df.select(col("_metadata.file_path"), col("_metadata.row_index"),
                col("features").cast("array<array<double>>"),
                hasLabel ? col("label").cast("long") : col("target").cast("array<double>"));
        JavaRDD<Candidate> candidates = rows.javaRDD().map(r -> parquetRow(r, hasLabel));
        return new Read(candidates, hasLabel ? Layout.PARQUET_LABEL : Layout.PARQUET_TARGET, "features", "", List.of());
    }

    /**
     * Every file's schema, read from its footer on the driver, in Spark's types. A file that is not Parquet is
     * reported here by name; Spark's own schema inference would fail it inside a task, with a stack trace in the log.
     */
    private static List<StructType> footers(SparkSession spark, List<DataLocation> files) {
        ParquetToSparkSchemaConverter converter = new ParquetToSparkSchemaConverter(spark.sessionState().conf());
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<StructType> schemas = new ArrayList<>();
        for (DataLocation f : files) {
            try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(f.uri(), conf))) {
                schemas.add(converter.convert(reader.getFooter().getFileMetaData().getSchema()));
            } catch (Exception e) { // IOException, or Parquet's RuntimeExceptions for a malformed footer
                throw bad(f + ": cannot be read as Parquet: " + rootMessage(e) + "; expected Parquet files for "
                        + "data.format = parquet (csv or text data needs data.format = csv or text)");
            }
        }
        return schemas;
    }

    /**
     * Checks that each file has {@code features} and {@code other} (target or label) of the types in
     * {@code schema}, the one Spark took from one of the files. A file that disagrees would otherwise fail inside
     * a Spark task halfway through validation, with Spark's stack traces in the log.
     */
    private static void checkAgreement(List<DataLocation> files, List<StructType> footers, StructType schema, String other) {
        for (int k = 0; k < files.size(); k++) {
            DataLocation f = files.get(k);
            StructType own = footers.get(k);
            Set<String> names = new HashSet<>(Arrays.asList(own.fieldNames()));
            for (String column : List.of("features", other)) {
                String expected = schema.apply(column).dataType().simpleString(); // nullability aside
                if (!names.contains(column)) {
                    throw bad(f + ": has no '" + column + "' column; expected " + column + ": " + expected
                            + " like the other files of the dataset");
                }
                String found = own.apply(column).dataType().simpleString();
                if (!found.equals(expected)) {
                    throw bad(f + ": column " + column + " has type " + found + "; expected " + expected
                            + " like the other files of the dataset (every file needs the same column types)");
                }
            }
        }
    }

    private static boolean isReal(DataType t) {
        return t.equals(DataTypes.FloatType) || t.equals(DataTypes.DoubleType);
    }

    private static Candidate parquetRow(Row r, boolean hasLabel) {
        String uri = r.getString(0);
        String file = display(uri);
        long row = r.getLong(1);
        String where = file + " row " + row;
        OrderKey order = new OrderKey(uri, row);
        String problem = null;
        int steps = 0;
        int features = -1;
        double[] x = new double[0];
        if (r.isNullAt(2)) {
            problem = "features is null; expected an array of steps";
        } else {
            List<Object> fs = r.getList(2);
            steps = fs.size();
            if (steps == 0) {
                problem = "features has no steps; expected at least one";
            } else {
                scala.collection.Seq<?> first = (scala.collection.Seq<?>) fs.get(0);
                features = first == null ? 0 : first.length();
                x = new double[Math.multiplyExact(steps, Math.max(features, 0))];
                for (int t = 0; t < steps && problem == null; t++) {
                    scala.collection.Seq<?> step = (scala.collection.Seq<?>) fs.get(t);
                    if (step == null) {
                        problem = "features[" + t + "] is null; expected " + features + " values";
                    } else if (step.length() == 0) {
                        problem = "features[" + t + "] is empty; expected at least one feature";
                    } else if (step.length() != features) {
                        problem = "features[" + t + "] has " + step.length() + " values, expected " + features
                                + " like features[0]";
                    } else {
                        for (int i = 0; i < features && problem == null; i++) {
                            Object v = step.apply(i);
                            problem = finite("features[" + t + "][" + i + "]", v, x, t * features + i);
                        }
                    }
                }
            }
        }
        int targetSize = -1;
        long label = -1;
        double[] y = null;
        if (hasLabel) {
            if (r.isNullAt(3)) {
                problem = problem != null ? problem : "label is null; expected a class index >= 0";
            } else {
                label = r.getLong(3);
                if (label < 0 && problem == null) {
                    problem = "label is " + label + "; expected a class index >= 0";
                }
            }
        } else if (r.isNullAt(3)) {
            problem = problem != null ? problem : "target is null; expected an array of numbers";
        } else {
            List<Object> ts = r.getList(3);
            targetSize = ts.size();
            y = new double[targetSize];
            if (targetSize == 0 && problem == null) {
                problem = "target is empty; expected at least one value";
            }
            for (int o = 0; o < targetSize && problem == null; o++) {
                problem = finite("target[" + o + "]", ts.get(o), y, o);
            }
        }
        return new Candidate(file, row, where, order, steps, features, targetSize, label, x, y, problem, null);
    }

    /** Stores a finite number, or says what is wrong with it. */
    private static String finite(String name, Object v, double[] into, int at) {
        if (v == null) {
            return name + " is null; expected a finite number";
        }
        double d = ((Number) v).doubleValue();
        if (!Double.isFinite(d)) {
            return name + " is " + d + "; expected a finite number";
        }
        into[at] = d;
        return null;
    }

    // ------------------------------------------------------------------------------------------------
    // Whole files, for CSV (line numbers) and text (windows across lines).

    /** One row per file: (Spark's file URI, contents). */
    private static JavaRDD<Row> wholeFiles(SparkSession spark, DataLocation path) {
        try {
            return spark.read().option("wholetext", "true").text(sparkPath(path))
                    .select(col("_metadata.file_path"), col("value")).javaRDD();
        } catch (Exception e) {
            throw bad(path + ": cannot be read: " + rootMessage(e));
        }
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

    // ------------------------------------------------------------------------------------------------
    // CSV: header, then one line per step: seq_id, t, x1..xI[, y].

    private static final Pattern X_NAME = Pattern.compile("x(\\d+)");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern NON_FINITE = Pattern.compile("[+-]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);
    private static final Pattern STEP = Pattern.compile("\\d{1,9}");
    private static final Pattern CANONICAL_INTEGER = Pattern.compile("0|-?[1-9]\\d{0,17}");
    private static final String CSV_COLUMNS = "seq_id, t, x1..xI and optionally y";

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

    static Read csv(SparkSession spark, DataLocation path) {
        JavaRDD<Row> files = wholeFiles(spark, path).persist(StorageLevel.MEMORY_AND_DISK_SER());
        List<JavaRDD<?>> transients = new ArrayList<>(List.of(files));
        try {
            return csv(path, files, transients);
        } catch (RuntimeException e) {
            transients.forEach(r -> r.unpersist(true)); // blocking: see FileDataset.open
            throw e;
        }
    }

    private static Read csv(DataLocation path, JavaRDD<Row> files, List<JavaRDD<?>> transients) {
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
        JavaRDD<CsvLine> lines = files.flatMap(r -> csvLines(display(r.getString(0)), r.getString(1), xNames).iterator())
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
                .map(g -> csvSequence(g._1(), g._2(), xNames.size(), hasY));
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
    static List<CsvLine> csvLines(String file, String content, List<String> xNames) {
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
    static Candidate csvSequence(String id, Iterable<CsvLine> group, int features, boolean hasY) {
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

    // ------------------------------------------------------------------------------------------------
    // Text: windows of T+1 characters at stride T over each file; vocabulary = sorted set of characters.

    static Read text(SparkSession spark, DataLocation path, int length) {
        JavaRDD<Row> files = wholeFiles(spark, path).persist(StorageLevel.MEMORY_AND_DISK_SER());
        List<JavaRDD<?>> transients = new ArrayList<>(List.of(files));
        try {
            return text(path, length, files, transients);
        } catch (RuntimeException e) {
            transients.forEach(r -> r.unpersist(true)); // blocking: see FileDataset.open
            throw e;
        }
    }

    private static Read text(DataLocation path, int length, JavaRDD<Row> files, List<JavaRDD<?>> transients) {
        List<Object[]> sizes = new ArrayList<>(files.map(r -> new Object[] {display(r.getString(0)),
                (long) r.getString(1).codePointCount(0, r.getString(1).length())}).collect());
        sizes.sort(Comparator.comparing((Object[] s) -> (String) s[0]));
        if (sizes.isEmpty()) {
            throw bad(path + ": no text files found");
        }
        for (Object[] s : sizes) {
            if ((long) s[1] < length + 1L) {
                throw bad(s[0] + ": has " + s[1] + " characters; expected at least T+1 = " + (length + 1)
                        + " for one window of sequence length " + length);
            }
        }
        int[] vocabulary = files.flatMap(r -> r.getString(1).codePoints().distinct().boxed().iterator()).distinct()
                .collect().stream().mapToInt(Integer::intValue).sorted().toArray();
        JavaRDD<Candidate> candidates = files.flatMap(r -> windows(r.getString(0), r.getString(1), length, vocabulary)
                .iterator());
        return new Read(candidates, Layout.TEXT, "window", new String(vocabulary, 0, vocabulary.length), transients);
    }

    static List<Candidate> windows(String uri, String content, int length, int[] vocabulary) {
        String file = display(uri);
        int[] cps = content.codePoints().toArray();
        int count = (cps.length - 1) / length;
        List<Candidate> out = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            double[] x = new double[length + 1];
            for (int j = 0; j <= length; j++) {
                x[j] = Arrays.binarySearch(vocabulary, cps[k * length + j]);
            }
            out.add(new Candidate(file, k, file + " window " + k + " (characters " + (long) k * length + ".."
                    + ((long) k * length + length) + ")", new OrderKey(uri, k), length, vocabulary.length, -1, -1,
                    x, null, null, null));
        }
        return out;
    }
}
