package numatp.collectives.team;

/** One step's work for one shard, run on the shard's leader thread. */
@FunctionalInterface
public interface ShardTask {
    void run(int shard, ShardTeam team) throws Exception;
}
