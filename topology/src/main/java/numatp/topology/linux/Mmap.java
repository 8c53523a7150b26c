package numatp.topology.linux;

/**
 * Flags of {@code mmap(2)} and {@code madvise(2)} numatp uses; identical on x86_64 and aarch64.
 */
public final class Mmap {
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;

    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_HUGETLB = 0x40000;
    /** The huge page size is encoded as log2(bytes) at this shift (MAP_HUGE_2MB = 21 << 26). */
    public static final int MAP_HUGE_SHIFT = 26;

    public static final int MADV_DONTNEED = 4;
    public static final int MADV_HUGEPAGE = 14;
    public static final int MADV_NOHUGEPAGE = 15;
    /** Fault in all pages writable, returning ENOMEM instead of SIGBUS (Linux 5.14+). */
    public static final int MADV_POPULATE_WRITE = 23;

    private Mmap() {
    }

    /** The {@code MAP_HUGETLB | MAP_HUGE_<size>} bits for a huge page size that is a power of two. */
    public static int hugetlbFlags(long hugePageSizeBytes) {
        if (hugePageSizeBytes <= 0 || Long.bitCount(hugePageSizeBytes) != 1) {
            throw new IllegalArgumentException("huge page size must be a power of two: " + hugePageSizeBytes);
        }
        int log2 = Long.numberOfTrailingZeros(hugePageSizeBytes);
        return MAP_HUGETLB | (log2 << MAP_HUGE_SHIFT);
    }
}
