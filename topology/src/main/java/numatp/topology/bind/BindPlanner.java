package numatp.topology.bind;

import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Turns a policy, a machine and its processes into a {@link BindPlan}. Each process that matches a
 * group pattern is one group (in pid order); groups fill sockets {@code groups_per_socket} at a
 * time, or go round-robin over the sockets when it is 0. A group runs on its socket's first node,
 * its forward threads on the socket's second node, and its memory interleaves over the socket's
 * nodes with memory (local when there is one). Other processes run on the first node of
 * {@code others_socket_index} with local memory. Processes without a command line (kernel
 * threads such as {@code kworker}, zombies) are never selected.
 */
public final class BindPlanner {
    private BindPlanner() {
    }

    public static BindPlan plan(Topology topology, BindPolicy policy, List<ProcessEntry> processes, String root) {
        List<SocketNodes> sockets = SocketNodes.of(topology);
        if (sockets.isEmpty()) {
            throw new BindException(root + ": no NUMA node with CPUs: nothing to bind to");
        }
        List<String> notes = new ArrayList<>();
        if (policy.name().equals("a3")) {
            checkA3Shape(sockets, notes);
        }
        Pattern groupRe = policy.groupRegex();
        Pattern otherRe = policy.otherRegex();
        Pattern forwardRe = policy.forwardRegex();
        List<ProcessEntry> groups = new ArrayList<>();
        List<ProcessEntry> others = new ArrayList<>();
        for (ProcessEntry p : processes) {
            if (p.cmdline().isEmpty()) {
                continue; // kernel threads (and zombies) have no command line: never bound
            }
            if (groupRe != null && groupRe.matcher(p.matchText()).find()) {
                groups.add(p);
            } else if (otherRe != null && otherRe.matcher(p.matchText()).find()) {
                others.add(p);
            }
        }
        int socketCount = sockets.size();
        int perSocket = policy.groupsPerSocket();
        if (perSocket > 0 && groups.size() > perSocket * socketCount) {
            notes.add(groups.size() + " groups exceed " + socketCount + " socket(s) x groups_per_socket " + perSocket
                    + ": the extra groups wrap around to socket 0 and share its CPUs");
        }
        int[] load = new int[socketCount];
        List<ProcessBinding> out = new ArrayList<>();
        boolean singleNodeNoted = false;
        for (int g = 0; g < groups.size(); g++) {
            int s = perSocket > 0 ? (g / perSocket) % socketCount : g % socketCount;
            SocketNodes socket = sockets.get(s);
            load[s]++;
            if (socket.nodes().size() < 2 && !singleNodeNoted && forwardRe != null) {
                notes.add("socket " + s + " has one node: its forward threads share the group's node");
                singleNodeNoted = true;
            }
            IdSet mem = socket.memoryNodeIds();
            MemoryMode mode = mem.size() > 1 ? MemoryMode.INTERLEAVE : MemoryMode.LOCAL;
            out.add(binding(groups.get(g), g, socket, socket.first(), forwardRe, mode, mem));
        }
        if (!others.isEmpty()) {
            SocketNodes socket = sockets.get(othersSocket(policy, load, notes));
            NumaNode node = socket.first();
            IdSet mem = node.hasMemory() ? IdSet.of(node.id()) : socket.memoryNodeIds();
            for (ProcessEntry p : others) {
                out.add(binding(p, -1, socket, node, null, MemoryMode.LOCAL, mem));
            }
        }
        if (out.isEmpty()) {
            notes.add("no process matched the group or other patterns: nothing to bind");
        }
        return new BindPlan(root, policy.name(), sockets, out, notes);
    }

    private static ProcessBinding binding(ProcessEntry p, int group, SocketNodes socket, NumaNode node,
                                          Pattern forwardRe, MemoryMode mode, IdSet mem) {
        List<ThreadBinding> threads = new ArrayList<>();
        for (ThreadEntry t : p.threads()) {
            boolean forward = forwardRe != null && forwardRe.matcher(t.comm()).find();
            NumaNode on = forward ? socket.second() : node;
            threads.add(new ThreadBinding(t.tid(), t.comm(), forward, on.id(), on.cpus()));
        }
        return new ProcessBinding(p.pid(), p.comm(), p.cmdline(), group, socket.index(), node.id(), node.cpus(), mode,
                mem, threads);
    }

    private static int othersSocket(BindPolicy policy, int[] load, List<String> notes) {
        int count = load.length;
        int wanted = policy.othersSocketIndex();
        if (wanted >= count) {
            notes.add("others_socket_index " + wanted + " does not exist (" + count + " socket(s)): others go to socket "
                    + (count - 1));
            return count - 1;
        }
        if (wanted >= 0) {
            return wanted;
        }
        int best = count - 1;
        for (int s = count - 1; s >= 0; s--) {
            if (load[s] < load[best]) {
                best = s;
            }
        }
        return best;
    }

    private static void checkA3Shape(List<SocketNodes> sockets, List<String> notes) {
        boolean twoEach = sockets.stream().allMatch(s -> s.nodes().size() == 2);
        if (sockets.size() != 4 || !twoEach) {
            StringBuilder shape = new StringBuilder();
            for (SocketNodes s : sockets) {
                shape.append(shape.isEmpty() ? "" : ", ").append(s.nodes().size());
            }
            notes.add("the a3 preset expects 4 sockets of 2 nodes; this machine has " + sockets.size()
                    + " socket(s) with " + shape + " node(s): the plan is adapted, check it or use the generic policy");
        }
    }
}
