package dev.carousel.sweep;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a sweep lays its cells out on Spark: which cells run data-parallel, how many cells run at once, and why
 * (the reason is logged and kept in {@code sweep.json}).
 *
 * @param dataParallel cell id to whether it trains by rounds over its partitions
 * @param width        how many cells run at once
 * @param reason       the choice in words, with the compute of one round against its overhead
 */
record SweepPlan(Map<String, Boolean> dataParallel, int width, String reason) {
    /**
     * Training throughput assumed per task slot for cost estimates before any cell has finished (FLOP/s, matrix
     * products as counted by {@link CostEstimate}). Measured for the default sweep on a quiet 2-core machine:
     * 1.4 TFLOP in 2 min 45 s on 2 slots, 4.2 GFLOP/s per slot with validation and Spark included (the
     * training steps alone run at 8–9 GFLOP/s of CPU, BENCHMARKS.md "Spark-level figures").
     */
    static final double ASSUMED_FLOPS_PER_SECOND = 4e9;
    /** Broadcast, aggregation and scheduling time of one round of the round algorithm (measured 0.1–0.2 s locally). */
    static final double ROUND_OVERHEAD_SECONDS = 0.15;

    /**
     * The layout of {@code cells} on {@code slots} task slots under {@code strategy}.
     *
     * @throws IllegalArgumentException if config-parallel is asked for a cell with more than one partition
     */
    static SweepPlan of(List<Cell> cells, Strategy strategy, int slots) {
        Map<String, Boolean> dataParallel = new LinkedHashMap<>();
        int maxPartitions = 1;
        Cell widest = null;
        for (Cell c : cells) {
            int p = c.config().distributed().partitions();
            if (p > 1 && strategy == Strategy.CONFIG_PARALLEL) {
                throw new IllegalArgumentException("--strategy config-parallel: cell " + c.id() + " (" + c.label()
                        + ") has distributed.partitions = " + p + ", and config-parallel trains a cell in one task "
                        + "(accepted: partitions = 1, or --strategy data-parallel | auto)");
            }
            boolean dp = strategy == Strategy.DATA_PARALLEL || p > 1;
            dataParallel.put(c.id(), dp);
            if (dp && p >= maxPartitions) {
                maxPartitions = p;
                widest = c;
            }
        }
        long dpCells = dataParallel.values().stream().filter(b -> b).count();
        int width = dpCells == 0 ? slots : Math.max(1, slots / maxPartitions);
        Cell largest = cells.stream().max((a, b) -> Double.compare(roundFlops(a), roundFlops(b))).orElse(null);
        double roundSeconds = largest == null ? 0 : roundFlops(largest) / ASSUMED_FLOPS_PER_SECOND;
        String perRound = largest == null ? "" : String.format(Locale.ROOT,
                "one round of the largest cell (%d local steps) is ~%.2f s of compute against ~%.2f s of round overhead "
                        + "(%.0f%%)", largest.config().distributed().localSteps(), roundSeconds, ROUND_OVERHEAD_SECONDS,
                100 * ROUND_OVERHEAD_SECONDS / (roundSeconds + ROUND_OVERHEAD_SECONDS));
        String reason;
        if (strategy == Strategy.DATA_PARALLEL) {
            reason = String.format(Locale.ROOT, "every cell by rounds over its partitions, %d cell(s) at a time on %d "
                    + "slots in FAIR pools; %s", width, slots, perRound);
        } else if (strategy == Strategy.CONFIG_PARALLEL) {
            reason = String.format(Locale.ROOT, "each cell whole in one task, %d at a time on %d slots", width, slots);
        } else if (dpCells == 0) {
            reason = String.format(Locale.ROOT, "config-parallel, each cell whole in one task, %d at a time on %d slots: "
                    + "every cell has distributed.partitions = 1, so rounds would add broadcast and aggregation for the "
                    + "same result; %s", width, slots, perRound);
        } else {
            reason = String.format(Locale.ROOT, "data-parallel for %d cell(s) with distributed.partitions > 1 (up to %d, "
                    + "e.g. %s), config-parallel for the other %d; %d cell(s) at a time on %d slots; %s", dpCells,
                    maxPartitions, widest.id(), cells.size() - dpCells, width, slots, perRound);
        }
        return new SweepPlan(dataParallel, width, reason);
    }

    private static double roundFlops(Cell c) {
        return CostEstimate.flopsPerUpdate(c.config()) * c.config().distributed().localSteps();
    }
}
