package numatp.topology.memory;

import numatp.topology.IdSet;
import numatp.topology.binding.NumaBinder;
import numatp.topology.linux.Errno;
import numatp.topology.linux.KernelFiles;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.Mmap;
import numatp.topology.linux.NativeCallException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Populates a mapping from a thread pinned to the node's CPUs, so pages land where the policy (or,
 * for plain memory, the toucher's node) puts them now rather than wherever the first user runs.
 *
 * <p>Pages are faulted in chunks with {@code MADV_POPULATE_WRITE}, which reports ENOMEM instead of
 * raising SIGBUS. Under a strict bind, the node's free memory is checked before every chunk and
 * population stops (the caller then falls back) before the node runs dry, because a bound
 * allocation that exhausts its node invokes the OOM killer, whose victim is likely this process.
 */
final class FirstTouch {
    static final long CHUNK_BYTES = 32L << 20;

    private final LinuxNuma numa;
    private final KernelFiles files;
    private final NumaBinder binder;

    FirstTouch(LinuxNuma numa, KernelFiles files, NumaBinder binder) {
        this.numa = numa;
        this.files = files;
        this.binder = binder;
    }

    /** Thrown when population stops early; the mapping is left for the caller to unmap. */
    static final class Incomplete extends Exception {
        Incomplete(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Touches every page of {@code mapping}, from a thread on {@code node} when the node has CPUs
     * this process may use.
     *
     * @param guardNode the node whose free memory must stay above {@code reserveBytes}, or -1
     * @return a note on who touched the pages
     */
    String populate(Mapping mapping, int node, int guardNode, long reserveBytes) throws Incomplete {
        IdSet cpus = files.nodeCpus(node).orElse(IdSet.empty()).intersect(binder.allowedCpus());
        if (cpus.isEmpty()) {
            touchRange(mapping, guardNode, reserveBytes);
            return "touched by the calling thread (node " + node + " has no usable CPUs)";
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread toucher = Thread.ofPlatform().name("numatp-first-touch-node" + node).unstarted(() -> {
            try {
                binder.pinCurrentThreadToCpus(cpus);
                touchRange(mapping, guardNode, reserveBytes);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        toucher.start();
        try {
            toucher.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeMemoryException("interrupted while populating " + Sizes.format(mapping.mappedBytes())
                    + " on node " + node, e);
        }
        Throwable t = failure.get();
        if (t instanceof Incomplete incomplete) {
            throw incomplete;
        } else if (t instanceof RuntimeException runtime) {
            throw runtime;
        } else if (t != null) {
            throw new NodeMemoryException("populating memory on node " + node + " failed: " + t, t);
        }
        return "touched by a thread on node " + node + " CPUs " + cpus;
    }

    private void touchRange(Mapping mapping, int guardNode, long reserveBytes) throws Incomplete {
        long done = 0;
        long total = mapping.mappedBytes();
        while (done < total) {
            long chunk = Math.min(CHUNK_BYTES, total - done);
            if (guardNode >= 0) {
                OptionalLong free = files.nodeMemInfo(guardNode).map(m -> OptionalLong.of(m.memFreeBytes()))
                        .orElse(OptionalLong.empty());
                if (free.isPresent() && free.getAsLong() - reserveBytes < chunk) {
                    throw new Incomplete("node " + guardNode + " ran low on free memory while populating ("
                            + Sizes.format(free.getAsLong()) + " free after " + Sizes.format(done) + " of "
                            + Sizes.format(total) + ")");
                }
            }
            populateChunk(mapping.address() + done, chunk);
            done += chunk;
        }
    }

    private void populateChunk(long address, long bytes) throws Incomplete {
        try {
            numa.madvise(address, bytes, Mmap.MADV_POPULATE_WRITE);
        } catch (NativeCallException e) {
            if (e.errno() == Errno.EINVAL) {
                // Kernel older than 5.14: touch one byte per page instead.
                writePages(address, bytes);
                return;
            }
            throw new Incomplete("populating failed (" + e.getMessage() + ")");
        }
    }

    private void writePages(long address, long bytes) {
        MemorySegment range = MemorySegment.ofAddress(address).reinterpret(bytes);
        long page = numa.pageSizeBytes();
        for (long offset = 0; offset < bytes; offset += page) {
            range.set(ValueLayout.JAVA_BYTE, offset, (byte) 0);
        }
    }
}
