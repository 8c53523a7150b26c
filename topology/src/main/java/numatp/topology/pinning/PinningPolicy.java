package numatp.topology.pinning;

/**
 * How the threads of a node's shards are laid over its CPUs.
 *
 * <ul>
 *   <li>{@link #SCATTER}: one thread per physical core, spread across L3 groups before
 *       a cache or an SMT sibling is shared — lowest latency per thread.</li>
 *   <li>{@link #COMPACT}: adjacent cores that share caches, SMT siblings last — keeps
 *       a shard's team on one cache and leaves the rest of the node free.</li>
 *   <li>{@link #NONE}: plan as {@code SCATTER} does, but leave the threads unpinned and their
 *       memory policy alone, so the kernel's scheduler decides: the baseline for measuring
 *       what pinning buys.</li>
 * </ul>
 */
public enum PinningPolicy {
    SCATTER,
    COMPACT,
    NONE
}
