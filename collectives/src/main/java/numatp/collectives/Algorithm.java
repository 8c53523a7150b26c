package numatp.collectives;

import java.util.Locale;

/** How an allreduce moves data. See docs/collectives.md for costs and when {@link #AUTO} picks each. */
public enum Algorithm {
    /**
     * {@link #ONESHOT} while message size times rank count is small (128 KiB by default; 2 KiB for
     * thread groups on one node with a CPU per rank, where hierarchical runs direct in place), else
     * {@link #HIERARCHICAL}.
     */
    AUTO,
    /** One synchronisation per chunk; every rank reads every peer's chunk and sums in rank order. */
    ONESHOT,
    /** Flat ring reduce-scatter then allgather over all ranks (baseline). */
    RING,
    /** Reduce-scatter inside each node, slice exchange between counterparts across nodes, allgather inside each node. */
    HIERARCHICAL;

    /** The flag spelling: {@code auto}, {@code oneshot}, {@code ring}, {@code hierarchical}. */
    public String flagName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a flag spelling; the message names {@code flag} and the bad value. */
    public static Algorithm parse(String flag, String value) {
        for (Algorithm a : values()) {
            if (a.flagName().equalsIgnoreCase(value.strip())) {
                return a;
            }
        }
        throw new IllegalArgumentException(flag + " must be one of auto, oneshot, ring, hierarchical: " + value);
    }
}
