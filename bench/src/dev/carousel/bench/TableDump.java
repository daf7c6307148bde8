package dev.carousel.bench;

import dev.carousel.store.ResultTables;
import dev.carousel.store.Table;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints every value column of a sweep's result tables as text, one sorted line per row, doubles as their exact
 * bit patterns, so that two sweeps compare bit for bit with {@code diff}. Leaves out {@code wall_seconds}, the one
 * column that measures the machine rather than the model.
 *
 * <p>{@code TableDump SWEEP_DIR}: reads {@code runs}, {@code curves}, {@code step_stats} and {@code summaries}.
 */
public final class TableDump {
    private static final Map<String, StructType> TABLES = Map.of(
            "runs", ResultTables.RUNS, "curves", ResultTables.CURVES,
            "step_stats", ResultTables.STEP_STATS, "summaries", ResultTables.SUMMARIES);

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        for (String name : List.of("runs", "curves", "step_stats", "summaries")) {
            Path table = dir.resolve(name);
            if (!Files.isDirectory(table)) {
                throw new IllegalArgumentException("no table " + table);
            }
            StructType schema = TABLES.get(name);
            List<String> lines = new ArrayList<>();
            for (Row row : Table.at(table).read(schema)) {
                StringBuilder line = new StringBuilder(name);
                for (StructField f : schema.fields()) {
                    if (f.name().equals("wall_seconds")) {
                        continue;
                    }
                    Object v = row.get(row.fieldIndex(f.name()));
                    line.append('\t').append(f.name()).append('=');
                    if (v instanceof Double d && f.dataType() == DataTypes.DoubleType) {
                        line.append(Long.toHexString(Double.doubleToRawLongBits(d)));
                    } else {
                        line.append(v);
                    }
                }
                lines.add(line.toString());
            }
            lines.sort(null);
            lines.forEach(System.out::println);
            System.err.printf("%s: %d rows%n", name, lines.size());
        }
    }
}
