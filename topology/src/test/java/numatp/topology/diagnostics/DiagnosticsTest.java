package numatp.topology.diagnostics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.IdSet;
import numatp.topology.linux.Errno;
import numatp.topology.linux.FakeLinuxNuma;
import numatp.topology.linux.FakeSysfs;
import numatp.topology.linux.Mmap;
import numatp.topology.memory.NodeAllocation;
import numatp.topology.memory.NodeMemory;
import numatp.topology.memory.NodeMemoryOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DiagnosticsTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path root;
    private FakeSysfs sysfs;
    private FakeLinuxNuma kernel;

    @BeforeEach
    void twoNodes() {
        sysfs = new FakeSysfs(root).nodes("0-1").node(0, "0-1", 4096, 3000).node(1, "2-3", 4096, 3000)
                .memAvailableMib(6000);
        kernel = new FakeLinuxNuma(IdSet.range(0, 3), IdSet.range(0, 1));
    }

    @Test
    void matchReportSaysSizeNodeAndHugePages() {
        try (NodeAllocation a = new NodeMemory(kernel, sysfs.files()).allocate(256 * MIB, 0, NodeMemoryOptions.defaults())) {
            ResidencyReport r = new MemoryDiagnostics(kernel, sysfs.files()).report(a.segment(), 0, "KV cache");
            assertEquals(Verdict.MATCH, r.verdict());
            assertEquals("KV cache: 256 MiB on node 0 (match), huge pages: inactive", r.message());
        }
    }

    @Test
    void mismatchNamesTheNodesFoundAndNumaBalancingAsLikelyCause() {
        sysfs.write("proc/sys/kernel/numa_balancing", "1\n");
        try (NodeAllocation a = new NodeMemory(kernel, sysfs.files()).allocate(4 * MIB, 0, NodeMemoryOptions.defaults())) {
            MemorySegment s = a.segment();
            for (long off = 0; off < MIB; off += 4096) {
                kernel.movePage(s.address() + off, 1);
            }
            ResidencyReport r = new MemoryDiagnostics(kernel, sysfs.files()).report(s, 0, "weights");
            assertEquals(Verdict.MISMATCH, r.verdict());
            assertEquals("WARNING: weights requested on node 0, but resident on node 0 (3 MiB, 75%), node 1 (1 MiB, 25%)"
                    + " (mismatch), huge pages: inactive; likely cause: automatic NUMA balancing is on and migrates"
                    + " pages (echo 0 > /proc/sys/kernel/numa_balancing)", r.message());
        }
    }

    @Test
    void untouchedAndUnmeasurableMemoryIsReportedAsSuch() {
        long address = kernel.mmapAnonymous(8 * MIB, 0);
        MemorySegment s = MemorySegment.ofAddress(address).reinterpret(8 * MIB);
        MemoryDiagnostics diagnostics = new MemoryDiagnostics(kernel, sysfs.files());
        ResidencyReport untouched = diagnostics.report(s, 1, "buffer");
        assertEquals(Verdict.UNTOUCHED, untouched.verdict());
        assertEquals("buffer: 8 MiB for node 1 not touched yet (placement is decided at first write), huge pages: inactive",
                untouched.message());
        kernel.failMovePages(Errno.EPERM);
        ResidencyReport unknown = diagnostics.report(s, 1, "buffer");
        assertEquals(Verdict.UNKNOWN, unknown.verdict());
        assertTrue(unknown.message().contains("move_pages failed: pages=2048; errno=1 (EPERM)"), unknown.message());
        kernel.munmap(address, 8 * MIB);
        assertEquals(0, Mmap.PROT_READ - 1);
    }

    @Test
    void systemCheckGivesOneLineRecommendationsAndSerializesToJson() throws Exception {
        sysfs.write("proc/sys/kernel/numa_balancing", "1\n")
                .write("sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n")
                .write("sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "0\n")
                .write("sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages", "0\n")
                .write("proc/self/cgroup", "0::/numatp.slice\n")
                .write("sys/fs/cgroup/numatp.slice/memory.max", "8589934592\n")
                .write("sys/fs/cgroup/numatp.slice/cpuset.mems.effective", "0-1\n");
        SystemReport report = new SystemCheck(kernel.failMbind(null, Errno.EPERM), sysfs.files()).report();
        String text = report.toText();
        assertTrue(report.hasWarnings());
        assertTrue(text.contains("[warn] memory-policy calls: refused: mbind refused: errno=1 (EPERM) -> run the container"
                + " with --cap-add SYS_NICE"), text);
        assertTrue(text.contains("[warn] numa balancing: on (1): the kernel migrates pages and threads -> echo 0 | sudo tee"
                + " /proc/sys/kernel/numa_balancing"), text);
        assertTrue(text.contains("[warn] transparent huge pages: never -> echo madvise | sudo tee"), text);
        assertTrue(text.contains("[info] hugetlb pages node 1: 0 of 0 free (2 MiB) -> only for --hugepages hugetlb"), text);
        assertTrue(text.contains("[info] cgroup memory: limit 8 GiB (/numatp.slice)"), text);
        assertTrue(text.contains("[ok]   numa nodes: 2 online (0-1)"), text);
        JsonNode json = new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(report));
        assertEquals("numa balancing", json.get("items").get(3).get("name").asText());
        assertEquals("WARN", json.get("items").get(3).get("status").asText());
    }
}
