package numatp.topology.memory;

import numatp.topology.diagnostics.MemoryDiagnostics;
import numatp.topology.diagnostics.Verdict;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** move_pages statuses, sampling, and smaps huge page parsing. */
class ResidencyTest {
    @Test
    void statusesCountNodesUntouchedPagesForBothKernelAnswersAndErrors() {
        // 0, 1: nodes; -2 (ENOENT) and -14 (EFAULT): untouched on different kernels; -13 (EACCES): unknown
        Residency r = Residency.fromStatuses(6 * 4096, new int[] {0, 0, 1, -2, -14, -13});
        assertEquals(Map.of(0, 2, 1, 1), r.pagesByNode());
        assertEquals(2, r.untouchedPages());
        assertEquals(1, r.unknownPages());
        assertEquals(3, r.residentPages());
        assertEquals(2 * 4096, r.bytesOnNode(0));
        assertEquals(100.0 * 2 / 3, r.percentOn(0), 1e-9);
    }

    @Test
    void verdictsFromResidency() {
        assertEquals(Verdict.MATCH, MemoryDiagnostics.interpret(Residency.fromStatuses(8192, new int[] {1, 1}), 1));
        assertEquals(Verdict.MATCH, MemoryDiagnostics.interpret(Residency.fromStatuses(8192, new int[] {1, -2}), 1));
        assertEquals(Verdict.MISMATCH, MemoryDiagnostics.interpret(Residency.fromStatuses(8192, new int[] {1, 0}), 1));
        assertEquals(Verdict.UNTOUCHED, MemoryDiagnostics.interpret(Residency.fromStatuses(8192, new int[] {-2, -14}), 1));
        assertEquals(Verdict.UNKNOWN, MemoryDiagnostics.interpret(Residency.fromStatuses(8192, new int[] {-13}), 1));
    }

    @Test
    void samplesArePageAlignedDistinctAscendingAndInsideTheRange() {
        long seed = 0xC0FFEEL;
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 300; trial++) {
            long page = 4096;
            long address = 0x7f00_0000_0000L + random.nextLong(1 << 20);
            long size = trial == 0 ? 1 : 1 + random.nextLong(trial % 5 == 0 ? 1L << 34 : 1L << 22);
            int max = 1 + random.nextInt(5000);
            long[] pages = PageResidency.samplePages(address, size, page, max);
            long firstPage = address - address % page;
            long pageCount = Math.ceilDiv(address + size - firstPage, page);
            String where = "seed " + seed + " trial " + trial;
            assertEquals(Math.min(pageCount, max), pages.length, where);
            assertEquals(firstPage, pages[0], where);
            for (int i = 0; i < pages.length; i++) {
                assertEquals(0, pages[i] % page, where);
                assertTrue(pages[i] < address + size, where);
                assertTrue(i == 0 || pages[i] > pages[i - 1], where);
            }
        }
        assertEquals(0, PageResidency.samplePages(4096, 0, 4096, 10).length);
    }

    @Test
    void smapsGiveTransparentAndExplicitHugePagesOfTheRange() {
        String smaps = """
                7f0000000000-7f0010000000 rw-p 00000000 00:00 0
                Size:             262144 kB
                KernelPageSize:        4 kB
                Rss:              262144 kB
                AnonHugePages:    262144 kB
                7f0020000000-7f0020400000 rw-p 00000000 00:00 0
                Size:               4096 kB
                KernelPageSize:     2048 kB
                Private_Hugetlb:    4096 kB
                """;
        HugePageUsage thp = HugePageUsage.parse(smaps, 0x7f0000000000L, 256L << 20);
        assertTrue(thp.active());
        assertEquals("active (128 x 2 MiB)", thp.describe());
        HugePageUsage explicit = HugePageUsage.parse(smaps, 0x7f0020000000L, 4L << 20);
        assertEquals("active (2 x 2 MiB)", explicit.describe());
        assertEquals("inactive", HugePageUsage.parse(smaps, 0x7f0030000000L, 4096).describe());
        assertEquals("180 MiB", Sizes.format(180L << 20));
        assertEquals("1.5 GiB", Sizes.format(3L << 29));
    }
}
