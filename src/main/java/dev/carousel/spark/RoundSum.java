package dev.carousel.spark;

import dev.carousel.stats.StepStats;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The accumulator of one round (treeAggregate's, or the driver's over partition results): example-weighted sums of parameters, optimiser state,
 * per-update losses and gradient norms, and merged per-step statistics, over partitions.
 *
 * <p>Floating-point addition is not associative, and Spark combines partial results in whatever order
 * tasks finish. To make a round's result independent of that order, partial sums are kept as nodes of
 * one fixed binary tree over partition indices — a node at level L with index i covers partitions
 * [i·2^L, (i+1)·2^L) — and two nodes are only ever combined into their parent, left into right's place.
 * Every arrival order therefore yields the same additions in the same grouping: bit-identical results,
 * including after task retries. The price is that an accumulator may hold several nodes in flight.
 */
public final class RoundSum implements Serializable {
    private final int partitions;
    private final Map<Long, Node> nodes = new HashMap<>();

    private RoundSum(int partitions) {
        this.partitions = partitions;
    }

    /** The empty accumulator (Spark's zero value, copied into every task). */
    public static RoundSum empty(int partitions) {
        return new RoundSum(partitions);
    }

    /**
     * Partial sums over a contiguous range of partitions.
     *
     * @param theta      Σ w_p θ_p: [P]; null on a round of a one-partition job that another round of the same job
     *                   followed ({@link PartitionWork#rounds}: the later round carries the state)
     * @param state      Σ w_p s_p per optimiser buffer: [buffers][P]; null where theta is
     * @param losses     Σ w_p loss_{p,k} for local step k: [steps]
     * @param gradNorms  Σ w_p ‖g_{p,k}‖ for local step k: [steps]
     * @param stats      per-step statistics merged over the range, by update
     * @param divergedAt smallest update at which a partition in the range diverged, or −1
     * @param compute    time the range's tasks spent in their training steps (and in validating, when asked):
     *                   diagnostics only, never read by anything numeric
     * @param validation the range's scores of θ as received, when the round's input asked for them
     *                   ({@link RoundInput#validateBefore}): one {partition, loss sum, metric sum, sequences} per
     *                   partition, in no particular order (the driver sums them in partition order); else empty
     */
    public record Node(double[] theta, double[][] state, double[] losses, double[] gradNorms,
                       SortedMap<Long, StepStats> stats, long divergedAt, int count, Compute compute,
                       List<double[]> validation)
            implements Serializable {

        /** Adds {@code right} (the higher partitions) into this node's arrays; returns this. */
        Node plus(Node right) {
            add(theta, right.theta);
            for (int b = 0; b < state.length; b++) {
                add(state[b], right.state[b]);
            }
            add(losses, right.losses);
            add(gradNorms, right.gradNorms);
            for (Map.Entry<Long, StepStats> e : right.stats.entrySet()) {
                StepStats mine = stats.get(e.getKey());
                if (mine == null) {
                    stats.put(e.getKey(), e.getValue());
                } else {
                    mine.merge(e.getValue());
                }
            }
            long d = divergedAt < 0 ? right.divergedAt : right.divergedAt < 0 ? divergedAt : Math.min(divergedAt, right.divergedAt);
            List<double[]> v = validation;
            if (!right.validation.isEmpty()) {
                v = new ArrayList<>(validation);
                v.addAll(right.validation);
            }
            return new Node(theta, state, losses, gradNorms, stats, d, count + right.count, compute.plus(right.compute), v);
        }

        private static void add(double[] into, double[] from) {
            if (into.length != from.length) {
                // A diverged partition stops early; its shorter arrays only matter through divergedAt.
                return;
            }
            for (int i = 0; i < into.length; i++) {
                into[i] += from[i];
            }
        }
    }

    /**
     * Nanoseconds the tasks of a range of partitions spent in their training steps (local steps and probes, and the
     * evaluations they scored), wall and thread CPU time, summed and maximised over the range. Timing only: combined
     * alongside the numeric sums but never mixed into them, so it cannot change a result (and sum and max of
     * integers do not depend on order).
     */
    public record Compute(long wallSum, long wallMax, long cpuSum, long cpuMax) implements Serializable {
        /** One partition's times. */
        public static Compute of(long wallNanos, long cpuNanos) {
            return new Compute(wallNanos, wallNanos, cpuNanos, cpuNanos);
        }

        /** The times of ranges run one after another in the same task (rounds back to back): everything adds. */
        public Compute plusInSequence(Compute o) {
            return new Compute(wallSum + o.wallSum, wallMax + o.wallMax, cpuSum + o.cpuSum, cpuMax + o.cpuMax);
        }

        Compute plus(Compute o) {
            return new Compute(wallSum + o.wallSum, Math.max(wallMax, o.wallMax), cpuSum + o.cpuSum,
                    Math.max(cpuMax, o.cpuMax));
        }
    }

    /** Adds partition {@code p}'s result; returns this. */
    public RoundSum add(int p, Node leaf) {
        if (p < 0 || p >= partitions) {
            throw new IllegalArgumentException("partition " + p + " outside [0, " + partitions + ")");
        }
        insert(0, p, leaf);
        return this;
    }

    /** Merges another accumulator into this one; returns this. */
    public RoundSum merge(RoundSum other) {
        for (Map.Entry<Long, Node> e : other.nodes.entrySet()) {
            insert((int) (e.getKey() >>> 32), (int) (long) e.getKey(), e.getValue());
        }
        return this;
    }

    /** The sum over all partitions; fails if some partition has not been added. */
    public Node total() {
        int level = levels();
        Node root = nodes.get(key(level, 0));
        if (root == null || root.count() != partitions || nodes.size() != 1) {
            throw new IllegalStateException("round incomplete: have " + nodes.keySet().size() + " partial sums, "
                    + (root == null ? 0 : root.count()) + " of " + partitions + " partitions at the root");
        }
        return root;
    }

    private void insert(int level, int index, Node node) {
        while (true) {
            if (level == levels()) { // the root
                if (nodes.putIfAbsent(key(level, index), node) != null) {
                    throw new IllegalStateException("partition results added twice");
                }
                return;
            }
            int sibling = index ^ 1;
            if ((long) sibling << level >= partitions) {
                // The sibling covers no partition: the parent is this node, unchanged.
                level++;
                index >>= 1;
                continue;
            }
            Node other = nodes.remove(key(level, sibling));
            if (other == null) {
                if (nodes.putIfAbsent(key(level, index), node) != null) {
                    throw new IllegalStateException("partition results added twice");
                }
                return;
            }
            node = index < sibling ? node.plus(other) : other.plus(node);
            level++;
            index >>= 1;
        }
    }

    /** Height of the tree: the smallest L with 2^L ≥ N. */
    private int levels() {
        int l = 0;
        while ((1L << l) < partitions) {
            l++;
        }
        return l;
    }

    private static long key(int level, int index) {
        return ((long) level << 32) | (index & 0xffffffffL);
    }

}
