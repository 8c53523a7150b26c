package numatp.topology.memory;

import numatp.topology.linux.KernelFiles;

import java.util.HexFormat;

/**
 * Huge pages backing a range, from {@code /proc/self/smaps}: the {@code AnonHugePages} of the
 * mappings overlapping it (transparent huge pages) and their {@code KernelPageSize} (hugetlb
 * mappings report the huge page size there).
 *
 * @param hugePageBytes bytes backed by huge pages ({@code AnonHugePages} plus {@code *_Hugetlb})
 * @param kernelPageSizeBytes the largest {@code KernelPageSize} among the overlapping mappings
 * @param thpPageSizeBytes the transparent huge page size assumed for counting (2 MiB on x86_64)
 */
public record HugePageUsage(long hugePageBytes, long kernelPageSizeBytes, long thpPageSizeBytes) {
    public static final HugePageUsage NONE = new HugePageUsage(0, 4096, NodeMemoryOptions.HUGE_PAGE_2MIB);

    public boolean active() {
        return hugePageBytes > 0;
    }

    /** The size of one huge page backing the range. */
    public long pageSizeBytes() {
        return kernelPageSizeBytes > 4096 ? kernelPageSizeBytes : thpPageSizeBytes;
    }

    public long pageCount() {
        return hugePageBytes / pageSizeBytes();
    }

    /** E.g. {@code active (128 x 2 MiB)} or {@code inactive}. */
    public String describe() {
        return active() ? "active (" + pageCount() + " x " + Sizes.format(pageSizeBytes()) + ")" : "inactive";
    }

    static final String THP_ENABLED = "sys/kernel/mm/transparent_hugepage/enabled";

    /**
     * Whether transparent huge pages can back a mapping that asked for {@code requested}: not
     * when THP is {@code [never]}, nor when it is {@code [madvise]} and the mapping did not
     * {@code madvise(MADV_HUGEPAGE)} (requested OFF). True when the mode cannot be read.
     * Callers skip {@link #of} when false: reading {@code /proc/self/smaps} walks the page
     * tables of the whole process, 0.7 s at 10 GiB resident, and a model loads in hundreds
     * of allocations.
     */
    public static boolean transparentPossible(KernelFiles files, HugePages requested) {
        String mode = files.read(THP_ENABLED).map(HugePageUsage::selectedMode).orElse("");
        return switch (mode) {
            case "never" -> false;
            case "madvise" -> requested == HugePages.THP;
            default -> true;
        };
    }

    /** The bracketed word of {@code always [madvise] never}, or "" when there is none. */
    static String selectedMode(String text) {
        int open = text.indexOf('[');
        int close = text.indexOf(']', open + 1);
        return open >= 0 && close > open ? text.substring(open + 1, close) : "";
    }

    /** Reads {@code /proc/self/smaps} (under the files' root) for {@code [address, address + sizeBytes)}. */
    public static HugePageUsage of(KernelFiles files, long address, long sizeBytes) {
        return files.read("proc/self/smaps").map(text -> parse(text, address, sizeBytes)).orElse(NONE);
    }

    static HugePageUsage parse(String smaps, long address, long sizeBytes) {
        long end = address + sizeBytes;
        boolean inRange = false;
        long anonHuge = 0;
        long hugetlb = 0;
        long kernelPage = 4096;
        for (String line : smaps.split("\n")) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash)) {
                long start = HexFormat.fromHexDigitsToLong(line, 0, dash);
                long stop = HexFormat.fromHexDigitsToLong(line, dash + 1, space);
                inRange = start < end && stop > address;
                continue;
            }
            if (!inRange) {
                continue;
            }
            if (line.startsWith("AnonHugePages:")) {
                anonHuge += kib(line);
            } else if (line.startsWith("KernelPageSize:")) {
                kernelPage = Math.max(kernelPage, kib(line));
            } else if (line.startsWith("Private_Hugetlb:") || line.startsWith("Shared_Hugetlb:")) {
                hugetlb += kib(line);
            }
        }
        return new HugePageUsage(anonHuge + hugetlb, kernelPage, NodeMemoryOptions.HUGE_PAGE_2MIB);
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return to > from && to - from <= 16;
    }

    private static long kib(String line) {
        String[] parts = line.trim().split("\\s+");
        try {
            return parts.length >= 2 ? Long.parseLong(parts[1]) * 1024 : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
