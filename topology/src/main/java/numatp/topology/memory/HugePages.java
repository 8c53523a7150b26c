package numatp.topology.memory;

/** Huge page use for an allocation. */
public enum HugePages {
    /** Base pages only. */
    OFF,
    /** Transparent huge pages, asked for with {@code madvise(MADV_HUGEPAGE)}; the kernel may still use base pages. */
    THP,
    /** Explicit huge pages from the hugetlbfs pool ({@code MAP_HUGETLB}); must be reserved beforehand. */
    HUGETLB
}
