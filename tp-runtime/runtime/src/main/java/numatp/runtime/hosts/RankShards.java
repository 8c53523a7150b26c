package numatp.runtime.hosts;

import numatp.runtime.config.ConfigException;

/**
 * Which shards each world rank of {@code --workers mpi} holds: {@code --shards} split evenly over
 * {@code mpirun -np}, world rank r holding shards {@code [r * perRank, (r + 1) * perRank)} as one
 * thread team each. Hosts get shards through their ranks (mpirun's mapping), so a host with more
 * cores gets more shards by running more ranks ({@code --map-by ppr:N:node}, a hostfile's slots).
 *
 * @param shards the engine's shard count ({@code --shards})
 * @param ranks  the MPI job's ranks ({@code mpirun -np})
 */
public record RankShards(int shards, int ranks) {
    /** Refuses a split that would leave ranks with different shard counts, naming the flags and values. */
    public RankShards {
        if (ranks < 1) {
            throw new ConfigException("the MPI job has " + ranks + " ranks (mpirun -np): it needs at least 1");
        }
        if (shards < ranks || shards % ranks != 0) {
            throw new ConfigException("--shards " + shards + " but the MPI job has " + ranks + " ranks (mpirun -np "
                    + ranks + "): --workers mpi gives every rank the same number of consecutive shards, so --shards"
                    + " must be a multiple of " + ranks + " (" + ranks + ", " + 2 * ranks + ", " + 3 * ranks
                    + ", ...)");
        }
    }

    /** Shards each rank holds. */
    public int perRank() {
        return shards / ranks;
    }

    /** The shards world rank {@code rank} holds, in order. */
    public int[] heldBy(int rank) {
        if (rank < 0 || rank >= ranks) {
            throw new ConfigException("world rank " + rank + " outside the MPI job's [0, " + ranks + ")");
        }
        int[] held = new int[perRank()];
        for (int i = 0; i < held.length; i++) {
            held[i] = rank * held.length + i;
        }
        return held;
    }
}
