package numatp.topology.memory;

import numatp.topology.linux.Errno;
import numatp.topology.linux.KernelFiles;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.Mmap;
import numatp.topology.linux.NativeCallException;

import java.util.function.Consumer;

/**
 * An anonymous mapping with the huge page mode it got. {@link #map} tries the requested mode and
 * steps down (hugetlb → thp → off) when the kernel cannot give it, reporting each step.
 *
 * @param address page-aligned (huge-page-aligned for thp and hugetlb) start
 * @param mappedBytes the mapped length, a multiple of the page size used
 * @param hugePages the mode obtained at mapping time (thp is only a request until pages are touched)
 */
record Mapping(long address, long mappedBytes, HugePages hugePages) {

    static Mapping map(LinuxNuma numa, KernelFiles files, long bytes, int node, NodeMemoryOptions options,
                       Consumer<FallbackStep> steps) {
        HugePages mode = options.hugePages();
        long hugeBytes = options.hugePageSizeBytes();
        if (mode == HugePages.HUGETLB) {
            String shortage = hugetlbShortage(files, node, bytes, hugeBytes);
            if (shortage == null) {
                long length = Sizes.roundUp(bytes, hugeBytes);
                try {
                    return new Mapping(numa.mmapAnonymous(length, Mmap.hugetlbFlags(hugeBytes)), length, HugePages.HUGETLB);
                } catch (NativeCallException e) {
                    shortage = "explicit huge pages unavailable (" + e.getMessage() + ")";
                }
            }
            steps.accept(new FallbackStep("hugetlb", "thp", shortage));
            mode = HugePages.THP;
        }
        if (mode == HugePages.THP) {
            long length = Sizes.roundUp(bytes, hugeBytes);
            long address = mapAligned(numa, length, hugeBytes);
            try {
                numa.madvise(address, length, Mmap.MADV_HUGEPAGE);
                return new Mapping(address, length, HugePages.THP);
            } catch (NativeCallException e) {
                String why = e.errno() == Errno.EINVAL
                        ? "transparent huge pages are disabled (/sys/kernel/mm/transparent_hugepage/enabled is"
                        + " 'never'); set it to madvise"
                        : "madvise(MADV_HUGEPAGE) failed (" + e.getMessage() + ")";
                steps.accept(new FallbackStep("thp", "off", why));
                return new Mapping(address, length, HugePages.OFF);
            }
        }
        long length = Sizes.roundUp(bytes, numa.pageSizeBytes());
        return new Mapping(numa.mmapAnonymous(length, 0), length, HugePages.OFF);
    }

    void unmap(LinuxNuma numa) {
        numa.munmap(address, mappedBytes);
    }

    /** Maps {@code length + alignment} and trims both ends so the start is aligned (THP needs it). */
    private static long mapAligned(LinuxNuma numa, long length, long alignment) {
        long raw = numa.mmapAnonymous(length + alignment, 0);
        long aligned = Sizes.roundUp(raw, alignment);
        long head = aligned - raw;
        long tail = alignment - head;
        if (head > 0) {
            numa.munmap(raw, head);
        }
        if (tail > 0) {
            numa.munmap(aligned + length, tail);
        }
        return aligned;
    }

    /** Why the node's hugetlb pool cannot hold {@code bytes}, or null when it can (or cannot tell). */
    private static String hugetlbShortage(KernelFiles files, int node, long bytes, long hugeBytes) {
        String dir = "sys/devices/system/node/node" + node + "/hugepages/hugepages-" + hugeBytes / 1024 + "kB/";
        long needed = Math.ceilDiv(bytes, hugeBytes);
        var free = files.read(dir + "free_hugepages");
        if (free.isEmpty()) {
            return null;
        }
        long freePages;
        try {
            freePages = Long.parseLong(free.get());
        } catch (NumberFormatException e) {
            return null;
        }
        if (freePages >= needed) {
            return null;
        }
        return "node " + node + " has " + freePages + " free " + Sizes.format(hugeBytes) + " huge pages, " + needed
                + " needed; reserve them with: echo " + needed + " > /" + dir + "nr_hugepages";
    }
}
