package dev.carousel.spark;

import static dev.carousel.spark.FileFormats.bad;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;

import dev.carousel.spark.FileFormats.Layout;
import dev.carousel.spark.FileFormats.Read;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The Parquet layout read from a DataFrame instead of files: a features column {@code array<array<float|double>>}
 * shaped [T][I] and a label column, either {@code array<float|double>} (regression target, O = its length), a
 * float or double (regression target, O = 1) or an integer type (class label). A row's dataset index is its
 * position in the DataFrame's row order (partition by partition, as {@code zipWithIndex} counts), so a DataFrame
 * read from one Parquet file orders its sequences as {@link FileDataset} orders that file's rows. Each row becomes
 * a {@link Candidate} through {@link ParquetFormat}'s row check, so messages name values as that layout does
 * ({@code features[t][i]}, {@code target[o]}, {@code label}) and rows as {@code DataFrame row N}. Package-private
 * plumbing of {@link FileDataset}.
 */
final class DataFrameFormat {
    /** How messages name the DataFrame and its rows. */
    static final String NAME = "DataFrame";

    private DataFrameFormat() {}

    static Read read(Dataset<Row> df, String featuresCol, String labelCol) {
        StructType schema = df.schema();
        List<String> names = Arrays.asList(schema.fieldNames());
        String expected = "; expected " + featuresCol + ": array<array<float>> and " + labelCol
                + ": array<float> or double (regression target) or int (class label)";
        for (String c : List.of(featuresCol, labelCol)) {
            if (!names.contains(c)) {
                throw bad(NAME + ": has no '" + c + "' column (columns: " + String.join(", ", names) + ")" + expected);
            }
        }
        DataType ft = schema.apply(featuresCol).dataType();
        if (!(ft instanceof ArrayType a && a.elementType() instanceof ArrayType b && isReal(b.elementType()))) {
            throw bad(NAME + ": column " + featuresCol + " has type " + ft.simpleString() + expected);
        }
        DataType lt = schema.apply(labelCol).dataType();
        Column label;
        boolean hasLabel;
        if (lt instanceof ArrayType ta && isReal(ta.elementType())) {
            label = col(labelCol).cast("array<double>");
            hasLabel = false;
        } else if (isReal(lt)) {
            label = array(col(labelCol)).cast("array<double>");
            hasLabel = false;
        } else if (lt.equals(DataTypes.IntegerType) || lt.equals(DataTypes.LongType) || lt.equals(DataTypes.ShortType)
                || lt.equals(DataTypes.ByteType)) {
            label = col(labelCol).cast("long");
            hasLabel = true;
        } else {
            throw bad(NAME + ": column " + labelCol + " has type " + lt.simpleString() + expected);
        }
        // Persisted so that the positions zipWithIndex counts and the rows it then numbers come from one computation.
        JavaRDD<Row> rows = df.select(col(featuresCol).cast("array<array<double>>"), label).javaRDD()
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        JavaRDD<Candidate> candidates = rows.zipWithIndex()
                .map((Tuple2<Row, Long> t) -> ParquetFormat.row(
                        RowFactory.create(NAME, t._2(), t._1().get(0), t._1().get(1)), hasLabel));
        return new Read(candidates, hasLabel ? Layout.PARQUET_LABEL : Layout.PARQUET_TARGET, "features", "",
                List.of(rows));
    }

    private static boolean isReal(DataType t) {
        return t.equals(DataTypes.FloatType) || t.equals(DataTypes.DoubleType);
    }
}
