package numatp.topology.diagnostics;

/** Outcome of a residency check. */
public enum Verdict {
    /** Every resident sampled page is on the expected node. */
    MATCH,
    /** Some resident pages are on other nodes. */
    MISMATCH,
    /** No page has been written yet: placement happens at first touch. */
    UNTOUCHED,
    /** Residency cannot be measured here (move_pages refused or unavailable). */
    UNKNOWN
}
