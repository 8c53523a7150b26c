package numatp.runtime.config;

/**
 * Where the shards run ({@code --workers}): {@code threads}, every shard a thread team in this
 * JVM; {@code processes}, one worker JVM per planned node (born bound to it) holding that
 * node's shards, driven over shared memory by this process.
 */
public enum WorkerLayout {
    THREADS,
    PROCESSES
}
