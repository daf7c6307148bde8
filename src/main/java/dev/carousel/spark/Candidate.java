package dev.carousel.spark;

import java.io.Serializable;

/**
 * One sequence as a format reader found it, before the checks that compare sequences with each other
 * (same length, same width, same target arity). Package-private plumbing of {@link FileDataset}.
 *
 * <p>{@code x} and {@code y} are in the reader's raw form; {@link FileDataset} expands them into the
 * network's inputs and targets once the dataset-wide sizes are known (e.g. one-hot labels need the
 * number of classes).
 *
 * @param file       the file the sequence came from, in display form
 * @param row        its position for error messages and their order: Parquet row index (0-based), CSV
 *                   line (1-based) of its first step, text window number
 * @param where      how a message names the sequence, e.g. {@code /d/a.parquet row 3} or {@code /d/a.csv:12}
 * @param order      its stable order: the dataset index of a sequence is its rank under this key
 * @param steps      number of time steps as stored
 * @param features   values per step (I), or −1 if the steps disagree (then {@code problem} says so)
 * @param targetSize length of the {@code target} array (Parquet regression), else −1
 * @param label      class label (Parquet classification), else −1
 * @param x          raw inputs, step-major [steps × features] (text: vocabulary indices of the window)
 * @param y          raw targets (Parquet/CSV regression values), or null
 * @param problem    what is wrong with this sequence on its own, or null
 * @param late       a whole message (location included) about a problem that may only be a consequence of
 *                   the sequence being shorter than the others, reported once lengths agree; or null
 */
record Candidate(String file, long row, String where, OrderKey order, int steps, int features, int targetSize,
                 long label, double[] x, double[] y, String problem, String late) implements Located, Serializable {
    private static final long serialVersionUID = 1L;

    /** A stable sort key: text first, then a number. */
    record OrderKey(String text, long number) implements Comparable<OrderKey>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int compareTo(OrderKey o) {
            int c = text.compareTo(o.text);
            return c != 0 ? c : Long.compare(number, o.number);
        }
    }
}
