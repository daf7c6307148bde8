package dev.carousel.sweep;

import dev.carousel.stats.StepStats;
import dev.carousel.train.CurvePoint;
import dev.carousel.train.TrainResult;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What training one cell produced, small enough to return from a Spark task: everything the result tables need
 * and nothing else (the parameters stay on the executor).
 *
 * @param cell        the cell id
 * @param status      completed, diverged, stopped or failed
 * @param updates     updates applied
 * @param divergedAt  the update at which loss, gradient or parameters stopped being finite, or −1
 * @param wallSeconds training time
 * @param curve       one point per evaluation (empty if the cell failed before its first)
 * @param stats       per-step statistics by probed update, in {@link StepStats#toByteArray()} form
 * @param error       one line on why the cell failed, or null
 * @param stoppedBy   the early-stopping decision, or null
 */
public record CellOutcome(String cell, String status, long updates, long divergedAt, double wallSeconds,
                          List<CurvePoint> curve, SortedMap<Long, byte[]> stats, String error, String stoppedBy)
        implements Serializable {

    public static final String FAILED = "failed";

    public CellOutcome {
        curve = List.copyOf(curve);
        stats = new TreeMap<>(stats);
    }

    /** The outcome of a run that finished (completed, diverged or stopped). */
    public static CellOutcome of(String cell, TrainResult r, String stoppedBy) {
        SortedMap<Long, byte[]> bytes = new TreeMap<>();
        for (Map.Entry<Long, StepStats> e : r.stepStats().entrySet()) {
            bytes.put(e.getKey(), e.getValue().toByteArray());
        }
        return new CellOutcome(cell, r.status().name().toLowerCase(), r.updates(), r.divergedAt(), r.wallSeconds(),
                r.curve(), bytes, null, stoppedBy);
    }

    /** The outcome of a cell whose training threw. */
    public static CellOutcome failed(String cell, double wallSeconds, String error) {
        return new CellOutcome(cell, FAILED, 0, -1, wallSeconds, List.of(), new TreeMap<>(), error, null);
    }

    /** The statistics decoded. */
    public SortedMap<Long, StepStats> stepStats() {
        SortedMap<Long, StepStats> out = new TreeMap<>();
        stats.forEach((k, v) -> out.put(k, StepStats.fromByteArray(v)));
        return out;
    }

    /** The last curve point, or null if there is none. */
    public CurvePoint last() {
        return curve.isEmpty() ? null : curve.get(curve.size() - 1);
    }
}
