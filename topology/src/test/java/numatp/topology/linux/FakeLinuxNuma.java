package numatp.topology.linux;

import numatp.topology.IdSet;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory kernel for tests: mappings are address ranges without memory behind them, pages
 * become "resident" on a node when populated (by the range's policy, round-robin for interleave,
 * the toucher's node otherwise), and any call can be made to fail with a chosen errno.
 */
public final class FakeLinuxNuma implements LinuxNuma {
    public static final long PAGE = 4096;

    private final IdSet possibleCpus;
    private final IdSet possibleNodes;
    private final AtomicLong nextAddress = new AtomicLong(0x7f00_0000_0000L);
    private final Map<Long, Long> mappings = new TreeMap<>();
    private final Map<Long, Integer> pageNodes = new HashMap<>();
    private final Map<Long, Integer> movedPages = new HashMap<>();
    private final Map<Long, long[]> policies = new TreeMap<>();
    private final Map<MemPolicy, Integer> mbindErrno = new EnumMap<>(MemPolicy.class);
    private int populateErrno;
    private MemPolicy populateFailsUnder;
    private int hugetlbErrno;
    private int movePagesErrno;
    private IdSet affinity;
    private IdSet memsAllowed;
    private int cpuNode;

    public FakeLinuxNuma(IdSet possibleCpus, IdSet possibleNodes) {
        this.possibleCpus = possibleCpus;
        this.possibleNodes = possibleNodes;
        this.affinity = possibleCpus;
        this.memsAllowed = possibleNodes;
    }

    /** Every mbind with {@code mode} (or all modes when null) fails with {@code errno}. */
    public synchronized FakeLinuxNuma failMbind(MemPolicy mode, int errno) {
        if (mode == null) {
            for (MemPolicy p : MemPolicy.values()) {
                mbindErrno.put(p, errno);
            }
        } else {
            mbindErrno.put(mode, errno);
        }
        return this;
    }

    /** MADV_POPULATE_WRITE fails with {@code errno} on ranges whose policy is {@code mode}. */
    public synchronized FakeLinuxNuma failPopulate(MemPolicy mode, int errno) {
        this.populateFailsUnder = mode;
        this.populateErrno = errno;
        return this;
    }

    public synchronized FakeLinuxNuma failHugetlb(int errno) {
        this.hugetlbErrno = errno;
        return this;
    }

    public synchronized FakeLinuxNuma failMovePages(int errno) {
        this.movePagesErrno = errno;
        return this;
    }

    /** Pretends the kernel migrated the page at {@code address} to {@code node} (like NUMA balancing). */
    public synchronized void movePage(long address, int node) {
        movedPages.put(address - Math.floorMod(address, PAGE), node);
    }

    public synchronized FakeLinuxNuma allowCpus(IdSet cpus) {
        this.affinity = cpus;
        return this;
    }

    public synchronized int liveMappings() {
        return mappings.size();
    }

    @Override
    public boolean isNative() {
        return true;
    }

    @Override
    public String description() {
        return "fake kernel";
    }

    @Override
    public IdSet possibleCpus() {
        return possibleCpus;
    }

    @Override
    public IdSet possibleNodes() {
        return possibleNodes;
    }

    @Override
    public long pageSizeBytes() {
        return PAGE;
    }

    @Override
    public int gettid() {
        return 42;
    }

    @Override
    public synchronized IdSet getAffinity(int tid) {
        return affinity;
    }

    @Override
    public synchronized void setAffinity(int tid, IdSet cpus) {
        BitMask.encode(cpus, possibleCpus.last() + 1, "CPU");
        if (!affinity.containsAll(cpus)) {
            throw new NativeCallException("sched_setaffinity", "cpus=" + cpus, Errno.EINVAL);
        }
    }

    @Override
    public int[] processThreadIds() {
        return new int[] {42};
    }

    @Override
    public CpuLocation getcpu() {
        return new CpuLocation(affinity.first(), cpuNode);
    }

    @Override
    public void setMempolicy(MemPolicy mode, IdSet nodes) {
        Integer errno = mbindErrno.get(mode);
        if (errno != null) {
            throw new NativeCallException("set_mempolicy", "policy=" + mode, errno);
        }
    }

    @Override
    public ThreadMemPolicy getMempolicy() {
        return new ThreadMemPolicy(MemPolicy.DEFAULT, IdSet.empty());
    }

    @Override
    public synchronized IdSet memsAllowed() {
        return memsAllowed;
    }

    @Override
    public synchronized void mbind(long address, long lengthBytes, MemPolicy mode, IdSet nodes, int flags) {
        Integer errno = mbindErrno.get(mode);
        if (errno != null) {
            throw new NativeCallException("mbind", JnaLinuxNuma.nodesContext(nodes) + ", bytes=" + lengthBytes, errno);
        }
        BitMask.encode(nodes, possibleNodes.last() + 1, "node");
        policies.put(address, new long[] {lengthBytes, mode.code(), nodes.first(), nodes.size() == 0 ? 0 : nodes.last()});
    }

    @Override
    public synchronized int[] queryPageNodes(long[] pageAddresses) {
        if (movePagesErrno != 0) {
            throw new NativeCallException("move_pages", "pages=" + pageAddresses.length, movePagesErrno);
        }
        int[] status = new int[pageAddresses.length];
        for (int i = 0; i < status.length; i++) {
            Integer moved = movedPages.get(pageAddresses[i]);
            Integer node = moved != null ? moved : pageNodes.get(pageAddresses[i]);
            status[i] = node == null ? -Errno.ENOENT : node;
        }
        return status;
    }

    @Override
    public synchronized void madvise(long address, long lengthBytes, int advice) {
        if (advice != Mmap.MADV_POPULATE_WRITE) {
            return;
        }
        long[] policy = policyAt(address);
        MemPolicy mode = policy == null ? MemPolicy.DEFAULT : MemPolicy.fromCode((int) policy[1]);
        if (populateErrno != 0 && populateFailsUnder == mode) {
            throw new NativeCallException("madvise", "bytes=" + lengthBytes, populateErrno);
        }
        for (long page = address; page < address + lengthBytes; page += PAGE) {
            int node = switch (mode) {
                case BIND, PREFERRED -> (int) policy[2];
                case INTERLEAVE -> (int) (policy[2] + (page / PAGE) % (policy[3] - policy[2] + 1));
                default -> cpuNode;
            };
            pageNodes.put(page, node);
        }
    }

    @Override
    public synchronized long mmapAnonymous(long lengthBytes, int extraFlags) {
        if ((extraFlags & Mmap.MAP_HUGETLB) != 0 && hugetlbErrno != 0) {
            throw new NativeCallException("mmap", "bytes=" + lengthBytes, hugetlbErrno);
        }
        long address = nextAddress.getAndAdd(Math.ceilDiv(lengthBytes, 1L << 30) * (1L << 30) + (1L << 30));
        mappings.put(address, lengthBytes);
        return address;
    }

    @Override
    public synchronized void munmap(long address, long lengthBytes) {
        // Trimming the head or tail of a mapping (THP alignment) keeps the rest mapped.
        Map.Entry<Long, Long> owner = null;
        for (Map.Entry<Long, Long> e : mappings.entrySet()) {
            if (address >= e.getKey() && address < e.getKey() + e.getValue()) {
                owner = e;
            }
        }
        if (owner == null) {
            throw new NativeCallException("munmap", "address=0x" + Long.toHexString(address), Errno.EINVAL);
        }
        long start = owner.getKey();
        long end = start + owner.getValue();
        mappings.remove(start);
        if (address > start) {
            mappings.put(start, address - start);
        }
        if (address + lengthBytes < end) {
            mappings.put(address + lengthBytes, end - address - lengthBytes);
        }
        policies.remove(address);
        pageNodes.keySet().removeIf(p -> p >= address && p < address + lengthBytes);
    }

    private long[] policyAt(long address) {
        for (Map.Entry<Long, long[]> e : policies.entrySet()) {
            if (address >= e.getKey() && address < e.getKey() + e.getValue()[0]) {
                return e.getValue();
            }
        }
        return null;
    }
}
