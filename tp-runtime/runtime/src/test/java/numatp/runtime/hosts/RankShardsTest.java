package numatp.runtime.hosts;

import numatp.runtime.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class RankShardsTest {
    @Test
    void everyShardIsHeldOnceByConsecutiveRanksInOrder() {
        for (int ranks = 1; ranks <= 9; ranks++) {
            for (int perRank = 1; perRank <= 8; perRank++) {
                RankShards split = new RankShards(ranks * perRank, ranks);
                assertEquals(perRank, split.perRank());
                int next = 0; // the naive twin: shards dealt out in order, perRank to each rank
                for (int r = 0; r < ranks; r++) {
                    int[] held = split.heldBy(r);
                    assertEquals(perRank, held.length, "ranks " + ranks + " rank " + r);
                    for (int shard : held) {
                        assertEquals(next++, shard, "ranks " + ranks + " per rank " + perRank + " rank " + r);
                    }
                }
                assertEquals(ranks * perRank, next);
            }
        }
    }

    @Test
    void oneShardPerRankIsTheIdentity() {
        RankShards split = new RankShards(4, 4);
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(new int[] {r}, split.heldBy(r));
        }
    }

    @Test
    void shardsThatDoNotSplitEvenlyAreNamedWithTheFlagsAndValues() {
        for (int[] bad : new int[][] {{3, 2}, {1, 2}, {5, 4}, {6, 4}, {0, 1}}) {
            ConfigException e = assertThrows(ConfigException.class, () -> new RankShards(bad[0], bad[1]));
            assertTrue(e.getMessage().startsWith("--shards " + bad[0] + " but the MPI job has " + bad[1]
                    + " ranks (mpirun -np " + bad[1] + ")"), e.getMessage());
            assertTrue(e.getMessage().contains("must be a multiple of " + bad[1]), e.getMessage());
        }
        assertThrows(ConfigException.class, () -> new RankShards(2, 0));
        assertThrows(ConfigException.class, () -> new RankShards(4, 2).heldBy(2));
    }

    @Test
    void theHostsLineGivesEachHostsShardsAndThePlannersWhereTheyDiffer() {
        assertEquals("hosts: a (2 cores) ranks 1 x 2 shards, b (2 cores) ranks 1 x 2 shards",
                HostRuntime.describeHosts(new String[] {"a", "b"}, new int[] {2, 2}, new int[] {1, 1}, 2,
                        new int[] {2, 2}));
        assertEquals("hosts: a (8 cores) ranks 1 x 1 shard (planner: 2), b (4 cores) ranks 2 x 1 shard (planner: 1)",
                HostRuntime.describeHosts(new String[] {"a", "b"}, new int[] {8, 4}, new int[] {1, 2}, 1,
                        new int[] {2, 1}));
    }
}
