package numatp.topology.linux;

import numatp.topology.IdSet;

/**
 * The fallback when the native calls are unavailable (not Linux, JNA missing, an unsupported
 * architecture): affinity reads answer "every CPU", {@code getcpu} answers unknown, and the calls
 * that would change placement or map memory throw {@link NativeCallException} with ENOSYS, so the
 * memory layer falls back to plain Java allocation.
 */
public final class NoopLinuxNuma implements LinuxNuma {
    private final String reason;
    private final IdSet cpus = IdSet.range(0, Runtime.getRuntime().availableProcessors() - 1);

    public NoopLinuxNuma(String reason) {
        this.reason = reason;
    }

    @Override
    public boolean isNative() {
        return false;
    }

    @Override
    public String description() {
        return "no-op: " + reason;
    }

    @Override
    public IdSet possibleCpus() {
        return cpus;
    }

    @Override
    public IdSet possibleNodes() {
        return IdSet.of(0);
    }

    @Override
    public long pageSizeBytes() {
        return 4096;
    }

    @Override
    public int gettid() {
        return -1;
    }

    @Override
    public IdSet getAffinity(int tid) {
        return cpus;
    }

    @Override
    public void setAffinity(int tid, IdSet cpus) {
        throw unsupported("sched_setaffinity", "cpus=" + cpus);
    }

    @Override
    public int[] processThreadIds() {
        return new int[0];
    }

    @Override
    public CpuLocation getcpu() {
        return CpuLocation.UNKNOWN;
    }

    @Override
    public void setMempolicy(MemPolicy mode, IdSet nodes) {
        throw unsupported("set_mempolicy", "mode=" + mode + ", nodes=" + nodes);
    }

    @Override
    public ThreadMemPolicy getMempolicy() {
        return new ThreadMemPolicy(MemPolicy.DEFAULT, IdSet.empty());
    }

    @Override
    public IdSet memsAllowed() {
        return IdSet.of(0);
    }

    @Override
    public void mbind(long address, long lengthBytes, MemPolicy mode, IdSet nodes, int flags) {
        throw unsupported("mbind", "nodes=" + nodes + ", bytes=" + lengthBytes);
    }

    @Override
    public int[] queryPageNodes(long[] pageAddresses) {
        throw unsupported("move_pages", "pages=" + pageAddresses.length);
    }

    @Override
    public void madvise(long address, long lengthBytes, int advice) {
        throw unsupported("madvise", "bytes=" + lengthBytes + ", advice=" + advice);
    }

    @Override
    public long mmapAnonymous(long lengthBytes, int extraFlags) {
        throw unsupported("mmap", "bytes=" + lengthBytes);
    }

    @Override
    public void munmap(long address, long lengthBytes) {
        throw unsupported("munmap", "bytes=" + lengthBytes);
    }

    private NativeCallException unsupported(String call, String context) {
        return new NativeCallException(call, context + " (" + reason + ")", Errno.ENOSYS);
    }
}
