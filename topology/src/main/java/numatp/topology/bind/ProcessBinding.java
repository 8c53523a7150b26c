package numatp.topology.bind;

import numatp.topology.IdSet;

import java.util.List;

/**
 * One process's place in a plan.
 *
 * @param cmdline  its command line, quoted for a shell (the start lines repeat it)
 * @param group    the group number (0..), or -1 for an "other" process
 * @param socket   the socket index (in {@link SocketNodes} order)
 * @param node     the node its non-forward threads run on
 * @param cpus     that node's CPUs
 * @param memNodes the nodes its memory policy names (interleave set, or the local node)
 * @param threads  every thread with its wanted CPUs
 * @param device   the device ({@code --by-device}) it is placed next to, or empty
 */
public record ProcessBinding(int pid, String comm, String cmdline, int group, int socket, int node, IdSet cpus,
                             MemoryMode memory, IdSet memNodes, List<ThreadBinding> threads, String device) {
    public ProcessBinding {
        threads = List.copyOf(threads);
        device = device == null ? "" : device;
    }

    public ProcessBinding(int pid, String comm, String cmdline, int group, int socket, int node, IdSet cpus,
                          MemoryMode memory, IdSet memNodes, List<ThreadBinding> threads) {
        this(pid, comm, cmdline, group, socket, node, cpus, memory, memNodes, threads, "");
    }

    public boolean isGroup() {
        return group >= 0;
    }

    public long forwardThreads() {
        return threads.stream().filter(ThreadBinding::forward).count();
    }

    /** Every CPU a thread of this process should run on. */
    public IdSet allCpus() {
        IdSet all = cpus;
        for (ThreadBinding t : threads) {
            all = all.union(t.cpus());
        }
        return all;
    }

    /** How to start it with this memory policy: a policy is set at start, not on a running process. */
    public String numactlLine() {
        String mem = memory == MemoryMode.INTERLEAVE ? "--interleave=" + memNodes.toListString()
                : "--membind=" + memNodes.toListString();
        return "numactl " + mem + " --physcpubind=" + allCpus().toListString() + " -- "
                + (cmdline.isEmpty() ? comm : cmdline);
    }

    /** The same as systemd unit settings ([Service] section, systemd 243 or later). */
    public String systemdLines() {
        return "CPUAffinity=" + allCpus().toListString() + " NUMAPolicy="
                + (memory == MemoryMode.INTERLEAVE ? "interleave" : "bind") + " NUMAMask=" + memNodes.toListString();
    }
}
