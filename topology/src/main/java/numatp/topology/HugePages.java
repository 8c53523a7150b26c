package numatp.topology;

/**
 * Huge pages of one size on one NUMA node: how many the node holds and how many are free.
 *
 * @param pageSizeBytes the huge page size, e.g. 2097152
 * @param total         {@code nr_hugepages} of the node
 * @param free          {@code free_hugepages} of the node, at most {@code total}
 */
public record HugePages(long pageSizeBytes, long total, long free) {
    public HugePages {
        if (pageSizeBytes <= 0) {
            throw new TopologyException("huge page size must be positive: " + pageSizeBytes);
        }
        if (total < 0 || free < 0) {
            throw new TopologyException("huge page counts must be >= 0: total=" + total + ", free=" + free);
        }
    }
}
