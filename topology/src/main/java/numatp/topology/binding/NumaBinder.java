package numatp.topology.binding;

import numatp.topology.IdSet;
import numatp.topology.linux.KernelFiles;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.MemPolicy;
import numatp.topology.linux.NativeCallException;
import numatp.topology.linux.PolicySupport;

import java.util.Optional;

/**
 * Binds the calling thread, or every thread of the process, to CPUs and a node's memory, and
 * says where the calling thread runs. Every request is checked before the kernel sees it, so a
 * bad one fails with the node/CPUs asked for and what is available rather than a bare EINVAL
 * (the kernel silently drops CPUs outside the cgroup cpuset, and fails only when none remain).
 *
 * <p>Memory policy for a bound thread is {@code PREFERRED} by default: new pages come from the
 * node while it has free memory and spill elsewhere instead of invoking the OOM killer. Use
 * {@link #bindCurrentThreadMemory} with {@code BIND} for strict placement.
 */
public final class NumaBinder {
    private final LinuxNuma numa;
    private final KernelFiles files;
    private final AllowedCpus allowedCpus;

    public NumaBinder(LinuxNuma numa, KernelFiles files) {
        this.numa = numa;
        this.files = files;
        this.allowedCpus = new AllowedCpus(numa, files);
    }

    /** The binder over the real kernel. */
    public static NumaBinder system() {
        return new NumaBinder(LinuxNuma.system(), KernelFiles.system());
    }

    /** True when binding calls reach the kernel; false for the no-op fallback (they would all fail). */
    public boolean isNative() {
        return numa.isNative();
    }

    /** Which system-call implementation is in use, and why the fallback if it is one. */
    public String description() {
        return numa.description();
    }

    /** The CPUs this process may run on: the launcher thread's affinity within the cgroup cpuset. */
    public IdSet allowedCpus() {
        return allowedCpus.get();
    }

    /**
     * Restricts the calling thread to {@code cpus}.
     *
     * @return the thread's affinity before the call, to restore it later
     * @throws BindingException when {@code cpus} is empty or has CPUs the process may not use
     */
    public IdSet pinCurrentThreadToCpus(IdSet cpus) {
        if (cpus.isEmpty()) {
            throw new BindingException("cannot pin a thread to an empty CPU set; allowed CPUs: " + allowedCpus());
        }
        IdSet allowed = allowedCpus();
        IdSet outside = cpus.minus(allowed);
        if (!outside.isEmpty()) {
            throw new BindingException("CPUs " + outside + " are outside the CPUs this process may use ("
                    + allowed + ", from sched_getaffinity and the cgroup cpuset); asked for " + cpus);
        }
        IdSet before = numa.getAffinity(0);
        try {
            numa.setAffinity(0, cpus);
        } catch (NativeCallException e) {
            throw new BindingException("cannot pin thread to CPUs " + cpus + ": " + e.getMessage(), e);
        }
        return before;
    }

    /** The calling thread's CPU affinity now ({@code sched_getaffinity}). */
    public IdSet currentThreadAffinity() {
        return numa.getAffinity(0);
    }

    /** Binds the calling thread to {@code node}'s CPUs (read from sysfs) and prefers its memory. */
    public ThreadPlacement bindCurrentThreadToNode(int node) {
        return bindCurrentThreadToNode(node, nodeCpus(node), MemPolicy.PREFERRED);
    }

    /**
     * Binds the calling thread to the allowed CPUs among {@code nodeCpus} and sets its memory
     * policy for {@code node} ({@code PREFERRED}, {@code BIND}, or {@code DEFAULT} to leave it).
     * When memory-policy calls are refused the CPUs are still pinned and the note says why.
     *
     * @throws BindingException when the node has no CPUs, or none of them are allowed
     */
    public ThreadPlacement bindCurrentThreadToNode(int node, IdSet nodeCpus, MemPolicy memoryPolicy) {
        IdSet cpus = usableCpus(node, nodeCpus);
        pinCurrentThreadToCpus(cpus);
        return applyThreadPolicy(node, cpus, memoryPolicy);
    }

    /** Sets the calling thread's memory policy to {@code mode} over {@code node}. */
    public ThreadPlacement bindCurrentThreadMemory(int node, MemPolicy mode) {
        checkNodeExists(node);
        return applyThreadPolicy(node, numa.getAffinity(0), mode);
    }

    /**
     * Binds every current thread of the process to {@code node}'s allowed CPUs and sets the calling
     * thread's memory policy ({@code set_mempolicy} is per thread; threads created afterwards inherit
     * from their creator). Threads that exit while this runs are skipped.
     *
     * @return the placement applied to the calling thread
     */
    public ThreadPlacement bindProcessToNode(int node, IdSet nodeCpus, MemPolicy memoryPolicy) {
        IdSet cpus = usableCpus(node, nodeCpus);
        for (int tid : numa.processThreadIds()) {
            try {
                numa.setAffinity(tid, cpus);
            } catch (NativeCallException e) {
                if (e.errno() != numatp.topology.linux.Errno.ESRCH) {
                    throw new BindingException("cannot bind thread " + tid + " to node " + node + " CPUs " + cpus
                            + ": " + e.getMessage(), e);
                }
            }
        }
        numa.setAffinity(0, cpus);
        return applyThreadPolicy(node, cpus, memoryPolicy);
    }

    /** The CPU the calling thread runs on now, or -1 when unknown. */
    public int currentCpu() {
        return numa.getcpu().cpu();
    }

    /** The node the calling thread runs on now, or -1 when unknown. */
    public int currentNode() {
        return numa.getcpu().node();
    }

    /**
     * The CPUs of {@code node} from sysfs.
     *
     * @throws BindingException when the node does not exist
     */
    public IdSet nodeCpus(int node) {
        checkNodeExists(node);
        return files.nodeCpus(node).orElse(IdSet.empty());
    }

    private void checkNodeExists(int node) {
        IdSet online = files.onlineNodes();
        if (!online.contains(node)) {
            throw new BindingException("node " + node + " does not exist; online nodes: " + online);
        }
    }

    private IdSet usableCpus(int node, IdSet nodeCpus) {
        if (nodeCpus.isEmpty()) {
            throw new BindingException("node " + node + " has no CPUs (a memory-only node): threads cannot run there;"
                    + " nodes with CPUs: " + nodesWithCpus() + ". Place memory on node " + node
                    + " with NodeMemory and run the threads on a node with CPUs");
        }
        IdSet allowed = allowedCpus();
        IdSet usable = nodeCpus.intersect(allowed);
        if (usable.isEmpty()) {
            throw new BindingException("none of node " + node + "'s CPUs (" + nodeCpus
                    + ") may be used by this process; allowed CPUs: " + allowed
                    + " (sched_getaffinity and the cgroup cpuset)");
        }
        return usable;
    }

    private IdSet nodesWithCpus() {
        IdSet online = files.onlineNodes();
        IdSet withCpus = IdSet.empty();
        for (int n = online.first(); n >= 0; n = online.next(n + 1)) {
            Optional<IdSet> cpus = files.nodeCpus(n);
            if (cpus.isPresent() && !cpus.get().isEmpty()) {
                withCpus = withCpus.union(IdSet.of(n));
            }
        }
        return withCpus;
    }

    private ThreadPlacement applyThreadPolicy(int node, IdSet cpus, MemPolicy mode) {
        if (mode == MemPolicy.DEFAULT) {
            return new ThreadPlacement(node, cpus, MemPolicy.DEFAULT, "");
        }
        PolicySupport support = PolicySupport.of(numa);
        if (!support.permitted()) {
            return new ThreadPlacement(node, cpus, MemPolicy.DEFAULT,
                    "memory policy not applied: " + support.detail() + "; " + support.recommendation());
        }
        try {
            numa.setMempolicy(mode, mode.takesNodes() ? IdSet.of(node) : IdSet.empty());
        } catch (NativeCallException e) {
            if (e.refused()) {
                return new ThreadPlacement(node, cpus, MemPolicy.DEFAULT, "memory policy not applied: " + e.getMessage());
            }
            throw new BindingException("cannot set memory policy " + mode + " for node " + node + ": " + e.getMessage(), e);
        }
        return new ThreadPlacement(node, cpus, mode, "");
    }
}
