package numatp.topology.linux;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import numatp.topology.IdSet;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@link LinuxNuma} over libc through JNA. Calls glibc does not wrap on every version (mbind,
 * set_mempolicy, get_mempolicy, move_pages, getcpu, gettid) go through {@code syscall(2)} with the
 * numbers of this architecture. Errors come from {@link Native#getLastError()}, which JNA saves
 * right after each call on the calling thread.
 */
final class JnaLinuxNuma implements LinuxNuma {
    private static final long MAP_FAILED = -1L;

    /** The libc functions used; package-private so JNA types stay inside this class. */
    interface LibC extends Library {
        int sched_setaffinity(int pid, long cpusetsize, long[] mask);

        int sched_getaffinity(int pid, long cpusetsize, long[] mask);

        long syscall(long number, Object... args);

        long mmap(long address, long length, int prot, int flags, int fd, long offset);

        int munmap(long address, long length);

        int madvise(long address, long length, int advice);

        int getpagesize();
    }

    private final LibC libc;
    private final SyscallNumbers sys;
    private final IdSet possibleCpus;
    private final IdSet possibleNodes;
    private final int cpuIdCount;
    private final int nodeIdCount;
    private final long pageSizeBytes;

    JnaLinuxNuma(SyscallNumbers sys, KernelFiles files) {
        this.libc = Native.load("c", LibC.class);
        this.sys = sys;
        this.possibleCpus = files.possibleCpus();
        this.possibleNodes = files.possibleNodes();
        this.cpuIdCount = Math.max(1, possibleCpus.last() + 1);
        this.nodeIdCount = Math.max(1, possibleNodes.last() + 1);
        this.pageSizeBytes = libc.getpagesize();
    }

    @Override
    public boolean isNative() {
        return true;
    }

    @Override
    public String description() {
        return "JNA/libc on " + sys.arch() + " (possible CPUs " + possibleCpus + ", possible nodes " + possibleNodes + ")";
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
        return pageSizeBytes;
    }

    @Override
    public int gettid() {
        long tid = libc.syscall(sys.gettid());
        if (tid < 0) {
            throw error("gettid", "");
        }
        return (int) tid;
    }

    @Override
    public IdSet getAffinity(int tid) {
        long[] mask = new long[BitMask.words(cpuIdCount)];
        if (libc.sched_getaffinity(tid, mask.length * 8L, mask) != 0) {
            throw error("sched_getaffinity", "tid=" + tid + ", maskBytes=" + mask.length * 8L);
        }
        return BitMask.decode(mask);
    }

    @Override
    public void setAffinity(int tid, IdSet cpus) {
        long[] mask = BitMask.encode(cpus, cpuIdCount, "CPU");
        if (libc.sched_setaffinity(tid, mask.length * 8L, mask) != 0) {
            throw error("sched_setaffinity", "tid=" + tid + ", cpus=" + cpus);
        }
    }

    @Override
    public long migratePages(int pid, IdSet fromNodes, IdSet toNodes) {
        long[] from = BitMask.encode(fromNodes, nodeIdCount, "node");
        long[] to = BitMask.encode(toNodes, nodeIdCount, "node");
        try (Memory f = toMemory(from); Memory t = toMemory(to)) {
            long left = libc.syscall(sys.migratePages(), (long) pid, from.length * 64L + 1, f, t);
            if (left < 0) {
                throw error("migrate_pages", "pid=" + pid + ", from=" + fromNodes + ", to=" + toNodes);
            }
            return left;
        }
    }

    @Override
    public int[] processThreadIds() {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            int[] ids = new int[16];
            int n = 0;
            for (Path task : tasks) {
                String name = task.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit)) {
                    if (n == ids.length) {
                        ids = Arrays.copyOf(ids, n * 2);
                    }
                    ids[n++] = Integer.parseInt(name);
                }
            }
            return Arrays.copyOf(ids, n);
        } catch (IOException e) {
            throw new NativeCallException("opendir", "/proc/self/task (" + e.getMessage() + ")", Errno.EIO);
        }
    }

    @Override
    public CpuLocation getcpu() {
        try (Memory cpu = new Memory(4); Memory node = new Memory(4)) {
            if (libc.syscall(sys.getcpu(), cpu, node, Pointer.NULL) != 0) {
                throw error("getcpu", "");
            }
            return new CpuLocation(cpu.getInt(0), node.getInt(0));
        }
    }

    @Override
    public void setMempolicy(MemPolicy mode, IdSet nodes) {
        long[] mask = mode.takesNodes() ? BitMask.encode(nodes, nodeIdCount, "node") : null;
        // Errno is read before the mask buffer is freed, so nothing can overwrite it.
        int errno = 0;
        if (mask == null) {
            if (libc.syscall(sys.setMempolicy(), (long) mode.code(), Pointer.NULL, 0L) != 0) {
                errno = Native.getLastError();
            }
        } else {
            try (Memory m = toMemory(mask)) {
                if (libc.syscall(sys.setMempolicy(), (long) mode.code(), m, mask.length * 64L + 1) != 0) {
                    errno = Native.getLastError();
                }
            }
        }
        if (errno != 0) {
            throw new NativeCallException("set_mempolicy", "policy=" + mode + ", " + nodesContext(nodes), errno);
        }
    }

    @Override
    public ThreadMemPolicy getMempolicy() {
        long[] mask = new long[BitMask.words(nodeIdCount)];
        try (Memory mode = new Memory(4); Memory m = toMemory(mask)) {
            if (libc.syscall(sys.getMempolicy(), mode, m, mask.length * 64L, Pointer.NULL, 0L) != 0) {
                throw error("get_mempolicy", "maskBits=" + mask.length * 64);
            }
            return new ThreadMemPolicy(MemPolicy.fromCode(mode.getInt(0)), BitMask.decode(m.getLongArray(0, mask.length)));
        }
    }

    @Override
    public IdSet memsAllowed() {
        long[] mask = new long[BitMask.words(nodeIdCount)];
        try (Memory mode = new Memory(4); Memory m = toMemory(mask)) {
            if (libc.syscall(sys.getMempolicy(), mode, m, mask.length * 64L, Pointer.NULL,
                    (long) MemPolicy.F_MEMS_ALLOWED) != 0) {
                throw error("get_mempolicy", "MPOL_F_MEMS_ALLOWED, maskBits=" + mask.length * 64);
            }
            return BitMask.decode(m.getLongArray(0, mask.length));
        }
    }

    @Override
    public void mbind(long address, long lengthBytes, MemPolicy mode, IdSet nodes, int flags) {
        long[] mask = mode.takesNodes() ? BitMask.encode(nodes, nodeIdCount, "node") : null;
        int errno = 0;
        if (mask == null) {
            if (libc.syscall(sys.mbind(), address, lengthBytes, (long) mode.code(), Pointer.NULL, 0L, (long) flags) != 0) {
                errno = Native.getLastError();
            }
        } else {
            try (Memory m = toMemory(mask)) {
                // maxnode is one more than the mask's bits: the kernel reads maxnode - 1 bits.
                if (libc.syscall(sys.mbind(), address, lengthBytes, (long) mode.code(), m,
                        mask.length * 64L + 1, (long) flags) != 0) {
                    errno = Native.getLastError();
                }
            }
        }
        if (errno != 0) {
            throw new NativeCallException("mbind", nodesContext(nodes) + ", bytes=" + lengthBytes + ", policy=" + mode
                    + (flags == 0 ? "" : ", flags=" + flags), errno);
        }
    }

    @Override
    public int[] queryPageNodes(long[] pageAddresses) {
        int count = pageAddresses.length;
        if (count == 0) {
            return new int[0];
        }
        try (Memory pages = new Memory(count * 8L); Memory status = new Memory(count * 4L)) {
            pages.write(0, pageAddresses, 0, count);
            status.clear();
            long result = libc.syscall(sys.movePages(), 0L, (long) count, pages, Pointer.NULL, status, 0L);
            if (result < 0) {
                throw error("move_pages", "pages=" + count);
            }
            return status.getIntArray(0, count);
        }
    }

    @Override
    public void madvise(long address, long lengthBytes, int advice) {
        if (libc.madvise(address, lengthBytes, advice) != 0) {
            throw error("madvise", "bytes=" + lengthBytes + ", advice=" + advice);
        }
    }

    @Override
    public long mmapAnonymous(long lengthBytes, int extraFlags) {
        long address = libc.mmap(0L, lengthBytes, Mmap.PROT_READ | Mmap.PROT_WRITE,
                Mmap.MAP_PRIVATE | Mmap.MAP_ANONYMOUS | extraFlags, -1, 0L);
        if (address == MAP_FAILED || address == 0) {
            throw error("mmap", "bytes=" + lengthBytes + ((extraFlags & Mmap.MAP_HUGETLB) != 0
                    ? ", hugetlb pageBytes=" + (1L << (extraFlags >>> Mmap.MAP_HUGE_SHIFT & 63)) : ""));
        }
        return address;
    }

    @Override
    public void munmap(long address, long lengthBytes) {
        if (libc.munmap(address, lengthBytes) != 0) {
            throw error("munmap", "address=0x" + Long.toHexString(address) + ", bytes=" + lengthBytes);
        }
    }

    static String nodesContext(IdSet nodes) {
        return nodes.size() == 1 ? "node=" + nodes.first() : "nodes=" + nodes;
    }

    private static Memory toMemory(long[] mask) {
        Memory m = new Memory(mask.length * 8L);
        m.write(0, mask, 0, mask.length);
        return m;
    }

    private static NativeCallException error(String call, String context) {
        return new NativeCallException(call, context, Native.getLastError());
    }
}
