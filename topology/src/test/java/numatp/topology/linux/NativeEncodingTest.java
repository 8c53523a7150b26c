package numatp.topology.linux;

import numatp.topology.IdSet;
import numatp.topology.TopologyException;
import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Masks, policy and flag encodings, syscall numbers and errno names. */
class NativeEncodingTest {
    @Test
    void masksAreSizedFromThePossibleIdCountNotAFixed1024() {
        assertEquals(1, BitMask.words(0));
        assertEquals(1, BitMask.words(2));
        assertEquals(1, BitMask.words(64));
        assertEquals(2, BitMask.words(65));
        assertEquals(4, BitMask.words(256));
        assertEquals(129, BitMask.words(8193));
        assertEquals(1, BitMask.encode(IdSet.of(0, 1), 2, "CPU").length);
        assertArrayEquals(new long[] {0b11, 1L << 63, 1}, BitMask.encode(IdSet.of(0, 1, 127, 128), 130, "CPU"));
    }

    @Test
    void idBeyondThePossibleRangeIsRefusedByName() {
        TopologyException e = assertThrows(TopologyException.class, () -> BitMask.encode(IdSet.of(1), 1, "node"));
        assertEquals("node 1 is outside the kernel's possible nodes 0-0", e.getMessage());
    }

    @Test
    void masksRoundTripForRandomSets() {
        long seed = 0x5eed_3L;
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 500; trial++) {
            int count = 1 + random.nextInt(trial % 7 == 0 ? 4096 : 200);
            BitSet bits = new BitSet();
            int members = random.nextInt(count + 1);
            for (int i = 0; i < members; i++) {
                bits.set(random.nextInt(count));
            }
            IdSet ids = IdSet.fromBitSet(bits);
            long[] mask = BitMask.encode(ids, count, "CPU");
            assertEquals(BitMask.words(count), mask.length, "seed " + seed + " trial " + trial);
            assertEquals(ids, BitMask.decode(mask), "seed " + seed + " trial " + trial);
        }
    }

    @Test
    void policyModesAndFlagsUseTheKernelValues() {
        assertEquals(0, MemPolicy.DEFAULT.code());
        assertEquals(1, MemPolicy.PREFERRED.code());
        assertEquals(2, MemPolicy.BIND.code());
        assertEquals(3, MemPolicy.INTERLEAVE.code());
        assertEquals(4, MemPolicy.LOCAL.code());
        assertEquals(1, MemPolicy.MF_STRICT);
        assertEquals(2, MemPolicy.MF_MOVE);
        assertEquals(4, MemPolicy.MF_MOVE_ALL);
        assertEquals(4, MemPolicy.F_MEMS_ALLOWED);
        // get_mempolicy may return MPOL_F_STATIC_NODES (1 << 15) or MPOL_F_NUMA_BALANCING (1 << 13) in the mode
        assertEquals(MemPolicy.BIND, MemPolicy.fromCode(2 | 1 << 15));
        assertEquals(MemPolicy.PREFERRED, MemPolicy.fromCode(1 | 1 << 13));
        assertFalse(MemPolicy.LOCAL.takesNodes());
        assertTrue(MemPolicy.INTERLEAVE.takesNodes());
    }

    @Test
    void mmapHugePageBitsEncodeLog2OfTheSize() {
        assertEquals(0x40000 | 21 << 26, Mmap.hugetlbFlags(2L << 20));
        assertEquals(0x40000 | 30 << 26, Mmap.hugetlbFlags(1L << 30));
        assertEquals(23, Mmap.MADV_POPULATE_WRITE);
        assertEquals(14, Mmap.MADV_HUGEPAGE);
        assertThrows(IllegalArgumentException.class, () -> Mmap.hugetlbFlags(3L << 20));
    }

    @Test
    void syscallNumbersPerArchitecture() {
        SyscallNumbers x86 = SyscallNumbers.forArch("amd64");
        assertEquals(237, x86.mbind());
        assertEquals(238, x86.setMempolicy());
        assertEquals(239, x86.getMempolicy());
        assertEquals(279, x86.movePages());
        assertEquals(309, x86.getcpu());
        SyscallNumbers arm = SyscallNumbers.forArch("aarch64");
        assertEquals(235, arm.mbind());
        assertEquals(236, arm.getMempolicy());
        assertEquals(237, arm.setMempolicy());
        assertEquals(239, arm.movePages());
        assertEquals(168, arm.getcpu());
        assertThrows(UnsupportedOperationException.class, () -> SyscallNumbers.forArch("riscv64"));
    }

    @Test
    void errorMessagesNameCallNodeBytesAndErrno() {
        NativeCallException e = new NativeCallException("mbind", "node=1, bytes=268435456", Errno.EPERM);
        assertEquals("mbind failed: node=1, bytes=268435456; errno=1 (EPERM)", e.getMessage());
        assertTrue(e.refused());
        assertFalse(new NativeCallException("mbind", "", Errno.ENOMEM).refused());
        assertEquals("ENOSYS", Errno.name(38));
        assertEquals("E?999", Errno.name(999));
        assertEquals("nodes=0-1", JnaLinuxNuma.nodesContext(IdSet.of(0, 1)));
    }

    @Test
    void kernelFilesReadNodeMeminfoAndLists(@org.junit.jupiter.api.io.TempDir java.nio.file.Path root) {
        KernelFiles files = new FakeSysfs(root).nodes("0-1").node(1, "", 256, 180).memAvailableMib(300).files();
        assertEquals(IdSet.range(0, 3), files.possibleCpus());
        assertEquals(IdSet.of(0, 1), files.onlineNodes());
        assertEquals(IdSet.empty(), files.nodeCpus(1).orElseThrow());
        assertTrue(files.nodeCpus(7).isEmpty());
        assertEquals(180L << 20, files.nodeMemInfo(1).orElseThrow().memFreeBytes());
        assertEquals(256L << 20, files.nodeMemInfo(1).orElseThrow().memTotalBytes());
        assertEquals(300L << 20, files.memAvailableBytes().orElseThrow());
        assertEquals(java.util.Optional.of("/user.slice/x"), CgroupPath.parse("1:cpu:/a\n0::/user.slice/x\n"));
        assertEquals(java.util.Optional.of(""), CgroupPath.parse("0::/\n"));
    }

    @Test
    void refusedPolicyCallsAreDetected() {
        FakeLinuxNuma refusing = new FakeLinuxNuma(IdSet.of(0), IdSet.of(0)).failMbind(null, Errno.EPERM);
        PolicySupport support = PolicySupport.probe(refusing);
        assertFalse(support.permitted());
        assertEquals("mbind refused: errno=1 (EPERM)", support.detail());
        assertTrue(support.recommendation().contains("SYS_NICE"));
        assertEquals(0, refusing.liveMappings(), "the scratch page is unmapped");
        assertTrue(PolicySupport.probe(new FakeLinuxNuma(IdSet.of(0), IdSet.of(0))).permitted());
        assertFalse(PolicySupport.probe(new NoopLinuxNuma("test")).permitted());
    }
}
