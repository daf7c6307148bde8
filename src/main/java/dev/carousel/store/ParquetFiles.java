package dev.carousel.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.ParquetRuntimeException;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * One Parquet file of a result table ({@link ResultTables}' schemas), written and read straight through Parquet's
 * own classes: snappy pages, Spark's schema in the footer, and the column types Spark itself writes, so that Spark,
 * and any other Parquet reader, reads the files back with the same names and types. Flat schemas of string, int,
 * long, double and timestamp columns only.
 */
public final class ParquetFiles {
    private ParquetFiles() {}

    /** The footer key Spark reads a file's exact schema from (as in the files Spark writes itself). */
    static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";
    /** Parquet's writer takes a Hadoop configuration; an empty one (no default resources to load) is enough here. */
    static final Configuration HADOOP_CONF = new Configuration(false);

    /**
     * Writes one table as Parquet into the new local directory {@code dir} (parents made as needed): one file,
     * {@code part-00000.snappy.parquet}, and Spark's {@code _SUCCESS} marker; readers take any {@code *.parquet} not
     * starting with '.' or '_'. A single run's folder ({@code carousel train}) holds its tables this way.
     *
     * @throws UncheckedIOException if {@code dir} exists or cannot be written
     * @throws IllegalArgumentException as {@link #writeFile}
     */
    public static void write(List<Row> rows, StructType schema, java.nio.file.Path dir) {
        parquetType(schema);
        for (Row row : rows) { // a bad row or column type is refused before the folder is made
            checkNulls(schema, row);
        }
        try {
            Files.createDirectories(dir.toAbsolutePath().getParent());
            Files.createDirectory(dir); // fails if it exists, as a Spark write in ErrorIfExists mode does
            FileSystem fs = Storage.dataFs(FileSystem.getLocal(HADOOP_CONF));
            writeFile(rows, schema, fs, Storage.local(dir.resolve("part-00000.snappy.parquet")));
            Files.createFile(dir.resolve("_SUCCESS"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write table " + dir + ": " + e, e);
        }
    }

    /**
     * Writes {@code rows} as the new Parquet file {@code file} of file system {@code fs}, flushed to the storage
     * devices where the file system can ({@code hsync}) before it is closed. The file is written straight through
     * Parquet's own writer (snappy pages, Spark's schema in the footer, so Spark reads the columns back with the same
     * types and names) rather than as a Spark SQL job: a sweep commits three tables per group of cells, and Spark
     * SQL jobs' planning, scheduling and tasks cost more CPU than many a cell's training. Flat schemas of string,
     * int, long, double and timestamp columns only.
     *
     * @return the file's size in bytes
     * @throws IOException if the file exists or cannot be written
     * @throws IllegalArgumentException if a column has another type, a row has another number of values, or a
     *     non-nullable column holds null (then nothing is written)
     */
    static long writeFile(List<Row> rows, StructType schema, FileSystem fs, Path file) throws IOException {
        MessageType type = parquetType(schema);
        for (Row row : rows) { // every row checked before anything is written; groups are then made one at a time
            checkNulls(schema, row);
        }
        SimpleGroupFactory groups = new SimpleGroupFactory(type);
        SyncedOutputFile target = new SyncedOutputFile(fs, file);
        ExampleParquetWriter.Builder builder = ExampleParquetWriter.builder(target)
                .withConf(HADOOP_CONF)
                .withType(type)
                .withExtraMetaData(Map.of(SPARK_SCHEMA_KEY, schema.json()))
                .withCompressionCodec(CODEC)
                .withWriteMode(ParquetFileWriter.Mode.CREATE);
        for (StructField f : schema.fields()) {
            if (f.dataType().equals(DataTypes.DoubleType)) {
                // Statistics and losses rarely repeat: a dictionary would be built, then dropped for plain.
                builder = builder.withDictionaryEncoding(f.name(), false);
            }
        }
        try (ParquetWriter<Group> out = builder.build()) {
            for (Row row : rows) {
                out.write(group(groups, schema, row));
            }
        }
        return fs.getFileStatus(file).getLen();
    }

    /** The codec of the tables' pages, as Spark writes them. */
    static final CompressionCodecName CODEC = CompressionCodecName.SNAPPY;

    /**
     * Compresses a few bytes with the tables' codec, so that a command that will write or read tables fails before
     * any training, in one line, if the codec cannot load, rather than at its first commit. snappy-java unpacks its
     * native library into {@code java.io.tmpdir} (or {@code org.xerial.snappy.tempdir}) and loads it from there:
     * a folder mounted {@code noexec}, common on hardened hosts and driver pods, refuses to map it.
     *
     * @throws IllegalArgumentException naming both settings and the loader's own message, if the codec fails
     */
    public static void requireCodec() {
        CodecFactory codecs = new CodecFactory(HADOOP_CONF, 1 << 10);
        try {
            codecs.getCompressor(CODEC).compress(BytesInput.from(new byte[64]));
        } catch (VirtualMachineError e) {
            throw e;
        } catch (IOException | RuntimeException | Error e) { // a failed native load is an Error (linkage, SnappyError)
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String folder = System.getProperty("org.xerial.snappy.tempdir", System.getProperty("java.io.tmpdir"));
            throw new IllegalArgumentException("cannot load the " + CODEC.name().toLowerCase(Locale.ROOT) + " codec "
                    + "of the Parquet result tables: snappy-java unpacks its native library into " + folder
                    + " (-Dorg.xerial.snappy.tempdir, else -Djava.io.tmpdir) and loads it from there, so that folder must "
                    + "exist, be writable and allow executing files (not mounted noexec); set "
                    + "-Dorg.xerial.snappy.tempdir=<a folder that does> ("
                    + root.getClass().getSimpleName() + ": " + root.getMessage() + ")", e);
        } finally {
            codecs.release();
        }
    }

    /**
     * Hands every row of {@code files} (one table's, e.g. a {@link Table#files} snapshot) to {@code sink}, as
     * {@code spark.read().schema(schema).parquet(...)} reads them: each file's rows in order; columns matched by
     * name, and a column a file lacks (written by an older version) read as null, even where {@code schema} calls it
     * non-nullable (Spark's read makes every column nullable). Only {@code columns} are read, in that order (all of
     * {@code schema}'s if none are named); each row carries their schema, so {@code getAs(name)} works.
     *
     * <p>Why not Spark: the report and a resumed sweep read a few small tables on the driver, and a first Spark SQL
     * query in a JVM pays Catalyst's planning and code generation; the report of the default sweep read its tables
     * in ~16 s through Spark, against well under a second here (BENCHMARKS.md).
     *
     * @throws UncheckedIOException if a file cannot be read or decoded (naming the file)
     * @throws IllegalArgumentException if a column is not in {@code schema}, or a file holds it with another type
     */
    public static void forEachRow(List<Path> files, Configuration conf, StructType schema, Consumer<Row> sink,
                                  String... columns) {
        StructType wanted = columns.length == 0 ? schema : new StructType(Arrays.stream(columns).map(c -> {
            if (!Arrays.asList(schema.fieldNames()).contains(c)) {
                throw new IllegalArgumentException("column " + c + " is not in the table's schema "
                        + schema.simpleString());
            }
            return schema.apply(c);
        }).toArray(StructField[]::new));
        for (Path file : files) {
            readFile(file, conf, wanted, sink);
        }
    }

    private static void readFile(Path file, Configuration conf, StructType wanted, Consumer<Row> sink) {
        // The codec factory on the empty configuration, as the writer's: the default would load Hadoop's XML
        // resources for every file. The reader releases it when it closes.
        ParquetReadOptions options = ParquetReadOptions.builder()
                .withCodecFactory(new CodecFactory(HADOOP_CONF, 0)).build();
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf), options)) {
            MessageType stored = reader.getFileMetaData().getSchema();
            // The columns this file has, in the wanted order; the rest are read as null.
            List<Type> present = new ArrayList<>();
            int[] storedIndex = new int[wanted.size()];
            for (int i = 0; i < wanted.size(); i++) {
                String name = wanted.fields()[i].name();
                if (!stored.containsField(name)) {
                    storedIndex[i] = -1;
                    continue;
                }
                Type have = stored.getType(name);
                PrimitiveTypeName want = Column.of(wanted.fields()[i]).parquet;
                if (!have.isPrimitive() || have.asPrimitiveType().getPrimitiveTypeName() != want) {
                    throw new IllegalArgumentException(file + ": column " + name + " is " + have + ", expected "
                            + wanted.fields()[i].dataType().simpleString());
                }
                storedIndex[i] = present.size();
                present.add(have);
            }
            MessageType projection = new MessageType(stored.getName(), present);
            reader.setRequestedSchema(projection);
            MessageColumnIO io = new ColumnIOFactory().getColumnIO(projection);
            StructField[] fields = wanted.fields();
            PageReadStore group;
            while ((group = reader.readNextRowGroup()) != null) {
                RecordReader<Group> records = io.getRecordReader(group, new GroupRecordConverter(projection));
                for (long r = 0; r < group.getRowCount(); r++) {
                    Group g = records.read();
                    Object[] values = new Object[fields.length];
                    for (int i = 0; i < fields.length; i++) {
                        int k = storedIndex[i];
                        if (k >= 0 && g.getFieldRepetitionCount(k) > 0) {
                            values[i] = Column.of(fields[i]).read(g, k);
                        }
                    }
                    sink.accept(new GenericRowWithSchema(values, wanted));
                }
            }
        } catch (IOException | ParquetRuntimeException e) { // Parquet reports a corrupt page as its own unchecked one
            throw new UncheckedIOException("cannot read table file " + file + ": " + e,
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    /**
     * The column types of the tables, each with the Parquet type Spark writes for it and how a value goes into and
     * out of a Parquet group: one place for what the schema, the writer and the reader must agree on.
     */
    private enum Column {
        STRING(PrimitiveTypeName.BINARY), INT(PrimitiveTypeName.INT32), LONG(PrimitiveTypeName.INT64),
        DOUBLE(PrimitiveTypeName.DOUBLE), TIMESTAMP(PrimitiveTypeName.INT64);

        final PrimitiveTypeName parquet;

        Column(PrimitiveTypeName parquet) {
            this.parquet = parquet;
        }

        void append(Group g, String name, Row row, int i) {
            switch (this) {
                case STRING -> g.append(name, row.getString(i));
                case INT -> g.append(name, row.getInt(i));
                case LONG -> g.append(name, row.getLong(i));
                case DOUBLE -> g.append(name, row.getDouble(i));
                case TIMESTAMP -> g.append(name, micros(row.getTimestamp(i).toInstant()));
            }
        }

        /** Microseconds since the epoch, as Spark stores a timestamp. */
        static long micros(Instant t) {
            return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
        }

        Object read(Group g, int field) {
            return switch (this) {
                case STRING -> g.getBinary(field, 0).toStringUsingUTF8();
                case INT -> g.getInteger(field, 0);
                case LONG -> g.getLong(field, 0);
                case DOUBLE -> g.getDouble(field, 0);
                case TIMESTAMP -> {
                    long us = g.getLong(field, 0);
                    yield Timestamp.from(Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000L),
                            Math.floorMod(us, 1_000_000L) * 1_000L));
                }
            };
        }

        /** @throws IllegalArgumentException for a type the tables do not use */
        static Column of(StructField f) {
            DataType t = f.dataType();
            if (t.equals(DataTypes.StringType)) {
                return STRING;
            } else if (t.equals(DataTypes.IntegerType)) {
                return INT;
            } else if (t.equals(DataTypes.LongType)) {
                return LONG;
            } else if (t.equals(DataTypes.DoubleType)) {
                return DOUBLE;
            } else if (t.equals(DataTypes.TimestampType)) {
                return TIMESTAMP;
            }
            throw new IllegalArgumentException("column " + f.name() + ": unsupported type " + t.simpleString());
        }
    }

    /** The Parquet schema Spark itself writes for {@code schema}: nullable columns optional, strings UTF-8 binary. */
    static MessageType parquetType(StructType schema) {
        Types.MessageTypeBuilder b = Types.buildMessage();
        for (StructField f : schema.fields()) {
            Type.Repetition repetition = f.nullable() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
            Column c = Column.of(f);
            if (c == Column.STRING) {
                b.primitive(c.parquet, repetition).as(LogicalTypeAnnotation.stringType()).named(f.name());
            } else if (c == Column.TIMESTAMP) {
                b.primitive(c.parquet, repetition).as(LogicalTypeAnnotation.timestampType(true,
                        LogicalTypeAnnotation.TimeUnit.MICROS)).named(f.name());
            } else {
                b.primitive(c.parquet, repetition).named(f.name());
            }
        }
        return b.named("spark_schema");
    }

    private static void checkNulls(StructType schema, Row row) {
        StructField[] fields = schema.fields();
        if (row.length() != fields.length) {
            throw new IllegalArgumentException("a row of " + row.length() + " values for " + fields.length + " columns");
        }
        for (int i = 0; i < fields.length; i++) {
            if (row.isNullAt(i) && !fields[i].nullable()) {
                throw new IllegalArgumentException("column " + fields[i].name() + " is not nullable but holds null");
            }
        }
    }

    private static Group group(SimpleGroupFactory groups, StructType schema, Row row) {
        Group g = groups.newGroup();
        StructField[] fields = schema.fields();
        for (int i = 0; i < fields.length; i++) {
            String name = fields[i].name();
            if (row.isNullAt(i)) {
                continue; // an optional column with no value (checkNulls refused the rest)
            }
            Column.of(fields[i]).append(g, name, row, i);
        }
        return g;
    }

    /**
     * A new file of a Hadoop file system as Parquet's output, flushed to the storage devices ({@code hsync}, where the
     * file system can) before it closes, so that a commit that names it never points at bytes still in a cache.
     * (Parquet's own {@code HadoopOutputFile} takes the file system from the path, which on local disk adds a
     * {@code .crc} side file per data file.)
     */
    private record SyncedOutputFile(FileSystem fs, Path path) implements OutputFile {
        @Override
        public PositionOutputStream create(long blockSizeHint) throws IOException {
            return wrap(fs.create(path, false));
        }

        @Override
        public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
            return wrap(fs.create(path, true));
        }

        @Override
        public boolean supportsBlockSize() {
            return false;
        }

        @Override
        public long defaultBlockSize() {
            return 0;
        }

        @Override
        public String getPath() {
            return path.toString();
        }

        private static PositionOutputStream wrap(FSDataOutputStream out) {
            return new PositionOutputStream() {
                @Override
                public long getPos() throws IOException {
                    return out.getPos();
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }

                @Override
                public void close() throws IOException {
                    try {
                        Storage.sync(out);
                    } finally {
                        out.close();
                    }
                }
            };
        }
    }
}
