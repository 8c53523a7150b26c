package numatp.collectives.team;

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

    /**
     * As {@link #parallelFor(int, RangeBody)}, but uses only as many threads as the work
     * pays for: each part gets at least {@link #MIN_WORK_PER_THREAD} units (e.g. multiply-adds),
     * so small matrices stay on the leader instead of paying a hand-off per call.
     */
    void parallelFor(int count, long workPerItem, RangeBody body);

    /** Work units below which a part is not worth another thread (about 10-20 µs of multiply-adds). */
    long MIN_WORK_PER_THREAD = 64 * 1024;
}
