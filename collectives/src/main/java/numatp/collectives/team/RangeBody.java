package numatp.collectives.team;

/** The work on indices [from, to) that {@link ShardTeam#parallelFor} hands each team thread. */
@FunctionalInterface
public interface RangeBody {
    void run(int from, int to);
}
