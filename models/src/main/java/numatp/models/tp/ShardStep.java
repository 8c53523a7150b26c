package numatp.models.tp;

import numatp.collectives.team.RangeBody;
import numatp.collectives.team.ShardFailedException;
import numatp.collectives.team.ShardTask;
import numatp.collectives.team.ShardTeam;
import numatp.topology.NumatpException;

/**
 * The step in flight, read by every held shard's leader thread: one object per engine
 * ({@link TpEngine}, or a worker's {@link LocalShards}), reused for every step. Team shard i
 * runs {@code forwards[i]}, which is global rank {@code ranks[i]}; rank 0 writes the logits.
 */
final class ShardStep implements ShardTask {
    /** The calling thread as a one-thread team. */
    private static final ShardTeam CALLER = new ShardTeam() {
        @Override
        public int threads() {
            return 1;
        }

        @Override
        public void parallelFor(int count, RangeBody body) {
            body.run(0, count);
        }

        @Override
        public void parallelFor(int count, long workPerItem, RangeBody body) {
            body.run(0, count);
        }
    };

    private final ShardForward[] forwards;
    private final int[] ranks;
    private int n;
    private int[] tokens;
    private int[] slots;
    private int[] positions;
    private float[][] logits;

    ShardStep(ShardForward[] forwards, int[] ranks) {
        this.forwards = forwards;
        this.ranks = ranks;
    }

    void set(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        this.n = n;
        this.tokens = tokens;
        this.slots = slots;
        this.positions = positions;
        this.logits = logits;
    }

    void clear() {
        set(0, null, null, null, null);
    }

    /** The one shard of an engine without a group, as a group's leader would run it. */
    void runOnCaller() {
        try {
            run(0, CALLER);
        } catch (NumatpException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            throw new ShardFailedException(ranks[0], e);
        }
    }

    @Override
    public void run(int shard, ShardTeam team) {
        forwards[shard].step(team, n, tokens, slots, positions, logits, ranks[shard] == 0);
    }
}
