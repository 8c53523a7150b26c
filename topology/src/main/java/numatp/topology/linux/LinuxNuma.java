package numatp.topology.linux;

import numatp.topology.IdSet;

/**
 * The Linux system calls behind thread binding and node-local memory. Addresses and lengths are
 * plain {@code long}s; failures throw {@link NativeCallException} naming the call, the node and
 * size in user terms and the errno. Masks are sized from the possible CPU/node counts.
 *
 * <p>{@link #system()} gives the JNA implementation on 64-bit Linux, otherwise a no-op fallback
 * ({@link #isNative()} false) whose affinity and residency answers say "unknown" and whose
 * memory calls throw.
 */
public interface LinuxNuma {
    /** The implementation for this JVM: JNA over libc when it loads, else the no-op fallback. */
    static LinuxNuma system() {
        return LinuxNumaLoader.system();
    }

    /** True when the calls reach the kernel; false for the no-op fallback. */
    boolean isNative();

    /** One line for logs and reports: which implementation, and why the fallback if it is one. */
    String description();

    /** Every CPU id the kernel may use; masks are sized from its highest id. */
    IdSet possibleCpus();

    /** Every node id the kernel may use; node masks are sized from its highest id. */
    IdSet possibleNodes();

    /** System page size (normally 4096). */
    long pageSizeBytes();

    int gettid();

    /** {@code sched_getaffinity(tid)}; tid 0 is the calling thread. */
    IdSet getAffinity(int tid);

    /** {@code sched_setaffinity(tid)}; tid 0 is the calling thread. */
    void setAffinity(int tid, IdSet cpus);

    /**
     * {@code migrate_pages(2)}: move the pages of process {@code pid} that lie on {@code fromNodes}
     * to {@code toNodes}; returns the number of pages that could not be moved. Moving another
     * user's process needs CAP_SYS_NICE (EPERM otherwise). The default (fallback) throws ENOSYS.
     */
    default long migratePages(int pid, IdSet fromNodes, IdSet toNodes) {
        throw new NativeCallException("migrate_pages", "pid=" + pid + ", from=" + fromNodes + ", to=" + toNodes
                + " (" + description() + ")", Errno.ENOSYS);
    }

    /** The thread ids of this process ({@code /proc/self/task}). */
    int[] processThreadIds();

    /** {@code getcpu(2)}: the CPU and node the calling thread is running on right now. */
    CpuLocation getcpu();

    /** {@code set_mempolicy(2)}: the calling thread's default policy for new pages. */
    void setMempolicy(MemPolicy mode, IdSet nodes);

    /** {@code get_mempolicy(2)} with no flags: the calling thread's default policy. */
    ThreadMemPolicy getMempolicy();

    /** {@code get_mempolicy(MPOL_F_MEMS_ALLOWED)}: the nodes this thread's cpuset allows. */
    IdSet memsAllowed();

    /** {@code mbind(2)} on {@code [address, address + lengthBytes)}; flags are {@code MemPolicy.MF_*}. */
    void mbind(long address, long lengthBytes, MemPolicy mode, IdSet nodes, int flags);

    /**
     * {@code move_pages(2)} in query mode (nodes == NULL): for each page address, the node holding
     * it (&gt;= 0) or a negative errno: {@code -ENOENT} or {@code -EFAULT} for a page never
     * touched (kernels differ), others for pages that cannot be queried.
     */
    int[] queryPageNodes(long[] pageAddresses);

    /** {@code madvise(2)}; advice values are {@code Mmap.MADV_*}. */
    void madvise(long address, long lengthBytes, int advice);

    /** Anonymous private {@code mmap(2)} with extra flags (e.g. {@link Mmap#hugetlbFlags}); returns the address. */
    long mmapAnonymous(long lengthBytes, int extraFlags);

    void munmap(long address, long lengthBytes);
}
