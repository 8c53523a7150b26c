package numatp.topology.memory;

import numatp.topology.linux.LinuxNuma;

import java.lang.foreign.MemorySegment;

/**
 * Samples where the pages of a range live with {@code move_pages} in query mode: every page for
 * small ranges, otherwise {@code maxSamples} pages evenly spread over it.
 */
public final class PageResidency {
    /** Enough to estimate the split to within about one percent, in one cheap call. */
    public static final int DEFAULT_MAX_SAMPLES = 4096;

    private PageResidency() {
    }

    public static Residency sample(LinuxNuma numa, MemorySegment segment, int maxSamples) {
        return sample(numa, segment.address(), segment.byteSize(), maxSamples);
    }

    public static Residency sample(LinuxNuma numa, long address, long sizeBytes, int maxSamples) {
        return Residency.fromStatuses(sizeBytes, numa.queryPageNodes(samplePages(address, sizeBytes,
                numa.pageSizeBytes(), maxSamples)));
    }

    /** Page-aligned addresses of the sampled pages, ascending, all inside the range. */
    static long[] samplePages(long address, long sizeBytes, long pageBytes, int maxSamples) {
        if (sizeBytes <= 0) {
            return new long[0];
        }
        long first = address - Math.floorMod(address, pageBytes);
        long pages = Math.ceilDiv(address + sizeBytes - first, pageBytes);
        int count = (int) Math.min(pages, Math.max(1, maxSamples));
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            long page = count == pages ? i : (long) ((double) i * pages / count);
            out[i] = first + page * pageBytes;
        }
        return out;
    }
}
