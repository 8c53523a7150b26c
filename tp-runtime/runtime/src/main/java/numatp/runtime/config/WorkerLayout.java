package numatp.runtime.config;

/**
 * Where the shards run ({@code --workers}): {@code threads}, every shard a thread team in this
 * JVM; {@code processes}, one worker JVM per planned node (born bound to it) holding that
 * node's shards, driven over shared memory by this process; {@code mpi}, processes started by
 * {@code mpirun} on one or more hosts, each holding {@code --shards / -np} shards as thread
 * teams, world rank 0 driving (see
 * {@code numatp.runtime.hosts.HostRuntime}).
 */
public enum WorkerLayout {
    THREADS,
    PROCESSES,
    MPI
}
