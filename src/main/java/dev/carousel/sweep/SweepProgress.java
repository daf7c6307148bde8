package dev.carousel.sweep;

import dev.carousel.train.CurvePoint;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The sweep's progress: one line per finished cell, and a heartbeat while cells run. */
final class SweepProgress {
    /** How often a line shows the running cells when none has finished meanwhile. */
    static final long HEARTBEAT_SECONDS = 30;

    private final int total;
    private final int skipped;
    private final int width;
    private final double totalFlops;
    private final long start = System.nanoTime();
    private final Map<String, String> running = new LinkedHashMap<>();
    private final Map<String, Integer> statuses = new TreeMap<>();
    private double flopsDone;
    private int done;
    private long lastPrint = System.nanoTime();

    SweepProgress(List<Cell> todo, int skipped, int width) {
        this.total = todo.size();
        this.skipped = skipped;
        this.width = width;
        this.totalFlops = todo.stream().mapToDouble(Cell::estimatedFlops).sum();
    }

    synchronized void started(Cell cell) {
        running.put(cell.id(), shortLabel(cell));
    }

    synchronized void finished(Cell cell, CellOutcome o, PrintStream log) {
        running.remove(cell.id());
        done++;
        flopsDone += cell.estimatedFlops();
        statuses.merge(o.status(), 1, Integer::sum);
        if (log == null) {
            return;
        }
        CurvePoint last = o.last();
        String result = switch (o.status()) {
            case "failed" -> "FAILED: " + o.error();
            case "diverged" -> "diverged at update " + o.divergedAt();
            default -> last == null ? o.status() : String.format(Locale.ROOT, "%s%s, validation loss %.4f",
                    o.status().equals("stopped") ? "stopped early at update " + o.updates() + ", " : "",
                    o.status().equals("stopped") ? "" : "completed", last.validationLoss());
        };
        log.println(String.format(Locale.ROOT, "%s | %s %s: %s (%.1f s)", line(), cell.id(), shortLabel(cell), result,
                o.wallSeconds()));
        log.flush();
        lastPrint = System.nanoTime();
    }

    synchronized void heartbeat(PrintStream log) {
        if (System.nanoTime() - lastPrint < (HEARTBEAT_SECONDS - 1) * 1_000_000_000L) {
            return;
        }
        log.println(line() + " | running: " + String.join("; ", running.values()));
        log.flush();
        lastPrint = System.nanoTime();
    }

    /** e.g. {@code [cells 12/60 done, 2 running, 0 failed, 1 diverged | 3m10s, ETA 9m40s]}. */
    synchronized String line() {
        double elapsed = seconds(start);
        double rate = flopsDone > 0 ? flopsDone / elapsed : SweepPlan.ASSUMED_FLOPS_PER_SECOND * width;
        String eta = done == total ? "0m00s" : duration((totalFlops - flopsDone) / rate);
        return String.format(Locale.ROOT, "[cells %d/%d done%s, %d running, %d failed, %d diverged%s | %s, ETA %s]",
                done, total, skipped > 0 ? " (+" + skipped + " skipped)" : "", running.size(),
                statuses.getOrDefault("failed", 0), statuses.getOrDefault("diverged", 0),
                statuses.containsKey("stopped") ? ", " + statuses.get("stopped") + " stopped" : "",
                duration(elapsed), eta);
    }

    /** The cell's axis values with the last part of each key: {@code cell=lstm mode=learned bias=1 seed=2}. */
    static String shortLabel(Cell cell) {
        return cell.axes().entrySet().stream()
                .map(e -> e.getKey().substring(e.getKey().lastIndexOf('.') + 1) + "=" + e.getValue())
                .collect(Collectors.joining(" "));
    }

    /** Seconds since {@code startNanos} ({@link System#nanoTime}). */
    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** A duration as {@code 3m10s}, or {@code 1h05m} from an hour on. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
