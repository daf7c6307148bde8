package dev.carousel.experiment;

import dev.carousel.config.ConfigLoader;
import dev.carousel.store.ResultStore;
import dev.carousel.store.ResultTables;
import dev.carousel.store.Table;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;

/** Reads a sweep folder's result tables ({@link ResultTables}, on this JVM) back into {@link Results}. */
public final class ResultsReader {
    private ResultsReader() {}

    public static Results read(Path dir, Configuration conf) {
        Map<String, List<Results.Eval>> curves = new HashMap<>();
        List<Row> cv = new ArrayList<>(Table.at(new Path(dir, ResultStore.CURVES), conf).read(ResultTables.CURVES,
                "cell", "update", "validation_loss", "grad_norm"));
        cv.sort(Comparator.comparing((Row r) -> r.getString(0)).thenComparingLong(r -> r.getLong(1)));
        for (Row r : cv) {
            if (!r.isNullAt(2)) {
                curves.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(new Results.Eval(r.getLong(1),
                        r.getDouble(2), r.isNullAt(3) ? Double.NaN : r.getDouble(3)));
            }
        }
        Map<String, List<Results.Stat>> stats = new HashMap<>();
        Table statTable = Table.at(new Path(dir, ResultStore.STEP_STATS), conf);
        statTable.forEachRow(statTable.files(), ResultTables.STEP_STATS, r ->
                stats.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(new Results.Stat(r.getLong(1),
                        r.getInt(2), r.getInt(3), r.getString(4), r.isNullAt(5) ? Double.NaN : r.getDouble(5),
                        r.isNullAt(6) ? Double.NaN : r.getDouble(6))),
                "cell", "round", "t", "lag", "probe", "mean", "p50");
        List<Results.CellResult> cells = new ArrayList<>();
        List<Row> runs = new ArrayList<>(Table.at(new Path(dir, ResultStore.RUNS), conf).read(ResultTables.RUNS,
                "cell", "status", "updates", "config"));
        runs.sort(Comparator.comparing((Row r) -> r.getString(0)));
        for (Row r : runs) {
            String id = r.getString(0);
            cells.add(new Results.CellResult(id, ConfigLoader.parse(r.getString(3), "runs/" + id), r.getString(1),
                    r.getLong(2), curves.getOrDefault(id, List.of()), stats.getOrDefault(id, List.of())));
        }
        return new Results(cells);
    }
}
