package numatp.topology.memory;

import numatp.topology.IdSet;

/**
 * How {@link NodeMemory#allocate} places memory.
 *
 * @param policy how strictly pages go to the node
 * @param interleaveNodes the nodes for {@code INTERLEAVE} (requested or as a fallback); empty means
 *                        every node the process may allocate on
 * @param hugePages base pages, transparent or explicit huge pages
 * @param hugePageSizeBytes the huge page size for THP alignment and {@code HUGETLB} (a power of two)
 * @param firstTouch populate every page right away from a thread bound to the node, so placement
 *                   is decided (and checked) now instead of at the first use
 * @param fallback when false, a failed placement throws instead of stepping down the chain
 */
public record NodeMemoryOptions(PlacementPolicy policy, IdSet interleaveNodes, HugePages hugePages,
                                long hugePageSizeBytes, boolean firstTouch, boolean fallback) {
    public static final long HUGE_PAGE_2MIB = 2L << 20;

    public NodeMemoryOptions {
        if (policy == null) {
            throw new IllegalArgumentException("--policy must be one of bind, preferred, interleave, plain: null");
        }
        if (hugePages == null) {
            throw new IllegalArgumentException("--hugepages must be one of off, thp, hugetlb: null");
        }
        if (hugePageSizeBytes <= 0 || Long.bitCount(hugePageSizeBytes) != 1) {
            throw new IllegalArgumentException("huge page size must be a power of two: " + hugePageSizeBytes);
        }
        interleaveNodes = interleaveNodes == null ? IdSet.empty() : interleaveNodes;
    }

    /** Strict binding, base pages, first touch, fallback on. */
    public static NodeMemoryOptions defaults() {
        return new NodeMemoryOptions(PlacementPolicy.BIND, IdSet.empty(), HugePages.OFF, HUGE_PAGE_2MIB, true, true);
    }

    public NodeMemoryOptions withPolicy(PlacementPolicy value) {
        return new NodeMemoryOptions(value, interleaveNodes, hugePages, hugePageSizeBytes, firstTouch, fallback);
    }

    public NodeMemoryOptions withInterleaveNodes(IdSet value) {
        return new NodeMemoryOptions(policy, value, hugePages, hugePageSizeBytes, firstTouch, fallback);
    }

    public NodeMemoryOptions withHugePages(HugePages value) {
        return new NodeMemoryOptions(policy, interleaveNodes, value, hugePageSizeBytes, firstTouch, fallback);
    }

    public NodeMemoryOptions withFirstTouch(boolean value) {
        return new NodeMemoryOptions(policy, interleaveNodes, hugePages, hugePageSizeBytes, value, fallback);
    }

    public NodeMemoryOptions withFallback(boolean value) {
        return new NodeMemoryOptions(policy, interleaveNodes, hugePages, hugePageSizeBytes, firstTouch, value);
    }
}
