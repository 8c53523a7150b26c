package numatp.topology.workers;

/**
 * A shard's threads, seen from its leader while a {@link ShardTask} runs. Only the leader
 * calls {@link #parallelFor}; calls do not nest.
 */
public interface ShardTeam {
    /** Threads in the team, the leader included. */
    int threads();

    /**
     * Runs {@code body} over [0, count) split into {@link #threads()} contiguous parts, the
     * leader taking the first; returns when every part is done. A failure in any part is
     * rethrown here. With one thread this is a plain call, so {@code body} may be a field
     * (no allocation per call).
     */
    void parallelFor(int count, RangeBody body);
}
