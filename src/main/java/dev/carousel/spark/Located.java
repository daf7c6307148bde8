package dev.carousel.spark;

import java.io.Serializable;
import java.util.Comparator;

/** Anything a validation error can point at: a file and a row or line in it. Package-private plumbing. */
interface Located {
    /** The file, in display form. */
    String file();

    /** Row index (Parquet, 0-based), line number (CSV, 1-based) or window number (text). */
    long row();

    /** Order of error reports: by file, then row or line, so that "the first offending row" is well defined. */
    final class ByPosition<T extends Located> implements Comparator<T>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int compare(T a, T b) {
            int c = a.file().compareTo(b.file());
            return c != 0 ? c : Long.compare(a.row(), b.row());
        }
    }
}
