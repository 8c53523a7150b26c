package numatp.topology.bind;

import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Turns a policy, a machine and its processes into a {@link BindPlan}. The processes a group
 * pattern selects gather into groups ({@link GroupBy}: by default a process joins its highest
 * matching ancestor, so a scheduler and the workers it started are one group); groups, ordered by
 * their lowest pid, fill sockets {@code groups_per_socket} at a time, or go round-robin over the
 * sockets when it is 0. A group runs on its socket's first node, its forward threads on the
 * socket's second node, and its memory interleaves over the socket's nodes with memory (local when
 * there is one). Other processes run on the first node of {@code others_socket_index} with local
 * memory. Processes without a command line (kernel threads such as {@code kworker}, zombies) are
 * never selected.
 *
 * <p>With devices ({@code --by-device}) each selected process, in pid order, goes to the node of
 * the device with its index (all its threads and its memory on that node); a device whose node is
 * unknown (-1) takes the node at its index round-robin over the nodes with CPUs, one on a CPU-less
 * node the nearest node with CPUs; processes beyond the last device wrap around to the first.
 */
public final class BindPlanner {
    private BindPlanner() {
    }

    public static BindPlan plan(Topology topology, BindPolicy policy, List<ProcessEntry> processes, String root) {
        return plan(topology, policy, processes, root, null);
    }

    /** As {@link #plan(Topology, BindPolicy, List, String)}; {@code devices} non-null binds by device. */
    public static BindPlan plan(Topology topology, BindPolicy policy, List<ProcessEntry> processes, String root,
                                DeviceReader.Scan devices) {
        List<SocketNodes> sockets = SocketNodes.of(topology);
        if (sockets.isEmpty()) {
            throw new BindException(root + ": no NUMA node with CPUs: nothing to bind to");
        }
        List<String> notes = new ArrayList<>();
        if (policy.name().equals("a3") && devices == null) {
            checkA3Shape(sockets, notes);
        }
        Pattern groupRe = policy.groupRegex();
        Pattern otherRe = policy.otherRegex();
        Pattern forwardRe = policy.forwardRegex();
        List<ProcessEntry> selected = new ArrayList<>();
        List<ProcessEntry> others = new ArrayList<>();
        for (ProcessEntry p : processes) {
            if (p.cmdline().isEmpty()) {
                continue; // kernel threads (and zombies) have no command line: never bound
            }
            if (groupRe != null && groupRe.matcher(p.matchText()).find()) {
                selected.add(p);
            } else if (otherRe != null && otherRe.matcher(p.matchText()).find()) {
                others.add(p);
            }
        }
        selected.sort(Comparator.comparingInt(ProcessEntry::pid));
        int[] load = new int[sockets.size()];
        List<ProcessBinding> out = new ArrayList<>();
        if (devices != null) {
            byDevice(topology, sockets, selected, devices, forwardRe, load, out, notes);
        } else {
            byGroup(sockets, ProcessGroups.of(selected, processes, policy.groupBy()), policy, forwardRe, load, out,
                    notes);
        }
        if (!others.isEmpty()) {
            SocketNodes socket = sockets.get(othersSocket(policy, load, notes));
            NumaNode node = socket.first();
            IdSet mem = node.hasMemory() ? IdSet.of(node.id()) : socket.memoryNodeIds();
            for (ProcessEntry p : others) {
                out.add(binding(p, -1, socket, node, null, null, MemoryMode.LOCAL, mem, ""));
            }
        }
        if (out.isEmpty()) {
            notes.add("no process matched the group or other patterns: nothing to bind");
        }
        return new BindPlan(root, policy.name(), sockets, out, notes);
    }

    private static void byGroup(List<SocketNodes> sockets, List<List<ProcessEntry>> groups, BindPolicy policy,
                                Pattern forwardRe, int[] load, List<ProcessBinding> out, List<String> notes) {
        int socketCount = sockets.size();
        int perSocket = policy.groupsPerSocket();
        if (perSocket > 0 && groups.size() > perSocket * socketCount) {
            notes.add(groups.size() + " groups exceed " + socketCount + " socket(s) x groups_per_socket " + perSocket
                    + ": the extra groups wrap around to socket 0 and share its CPUs");
        }
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
            for (ProcessEntry member : groups.get(g)) {
                out.add(binding(member, g, socket, socket.first(), forwardRe, socket.second(), mode, mem, ""));
            }
        }
    }

    private static void byDevice(Topology topology, List<SocketNodes> sockets, List<ProcessEntry> selected,
                                 DeviceReader.Scan scan, Pattern forwardRe, int[] load, List<ProcessBinding> out,
                                 List<String> notes) {
        List<Device> devices = scan.devices();
        notes.addAll(scan.notes());
        List<NumaNode> cpuNodes = new ArrayList<>();
        sockets.forEach(s -> cpuNodes.addAll(s.nodes()));
        cpuNodes.sort(Comparator.comparingInt(NumaNode::id));
        NumaNode[] nodeOfDevice = new NumaNode[devices.size()];
        for (int d = 0; d < devices.size(); d++) {
            nodeOfDevice[d] = deviceNode(topology, cpuNodes, devices.get(d), d, notes);
        }
        if (selected.size() > devices.size()) {
            notes.add(selected.size() + " selected processes for " + devices.size() + " " + scan.kind().label()
                    + " device(s): processes after the " + devices.size() + ". wrap around (process k takes device k"
                    + " mod " + devices.size() + ") and share that device's node");
        }
        if (forwardRe != null && !selected.isEmpty()) {
            notes.add("--by-device keeps forward threads on their device's node with the rest of the process");
        }
        for (int i = 0; i < selected.size(); i++) {
            int d = i % devices.size();
            NumaNode node = nodeOfDevice[d];
            SocketNodes socket = sockets.stream().filter(s -> s.nodes().contains(node)).findFirst().orElseThrow();
            load[socket.index()]++;
            IdSet mem = node.hasMemory() ? IdSet.of(node.id()) : socket.memoryNodeIds();
            MemoryMode mode = mem.size() > 1 ? MemoryMode.INTERLEAVE : MemoryMode.LOCAL;
            out.add(binding(selected.get(i), i, socket, node, forwardRe, node, mode, mem, devices.get(d).label()));
        }
    }

    /** The node with CPUs a device's process runs on; notes how it was chosen when not the device's own. */
    private static NumaNode deviceNode(Topology topology, List<NumaNode> cpuNodes, Device device, int index,
                                       List<String> notes) {
        if (device.node() < 0) {
            NumaNode rr = cpuNodes.get(index % cpuNodes.size());
            notes.add("device " + device.label() + " reports no node (numa_node -1): its process goes to node "
                    + rr.id() + " (round-robin over nodes " + ids(cpuNodes) + " by device index " + index + ")");
            return rr;
        }
        for (NumaNode n : cpuNodes) {
            if (n.id() == device.node()) {
                return n;
            }
        }
        boolean known = topology.nodes().stream().anyMatch(n -> n.id() == device.node());
        NumaNode best = cpuNodes.get(index % cpuNodes.size());
        if (known) {
            int bestDistance = Integer.MAX_VALUE;
            for (NumaNode n : cpuNodes) {
                int distance = topology.distances().distance(device.node(), n.id());
                if (distance < bestDistance) {
                    best = n;
                    bestDistance = distance;
                }
            }
        }
        notes.add("device " + device.label() + " is on node " + device.node() + (known ? ", which has no usable CPUs:"
                + " its process goes to the nearest node with CPUs, " + best.id()
                : ", which is not online: its process goes to node " + best.id() + " (round-robin)"));
        return best;
    }

    private static String ids(List<NumaNode> nodes) {
        return IdSet.of(nodes.stream().mapToInt(NumaNode::id).toArray()).toListString();
    }

    private static ProcessBinding binding(ProcessEntry p, int group, SocketNodes socket, NumaNode node,
                                          Pattern forwardRe, NumaNode forwardNode, MemoryMode mode, IdSet mem,
                                          String device) {
        List<ThreadBinding> threads = new ArrayList<>();
        for (ThreadEntry t : p.threads()) {
            boolean forward = forwardRe != null && forwardRe.matcher(t.comm()).find();
            NumaNode on = forward ? forwardNode : node;
            threads.add(new ThreadBinding(t.tid(), t.comm(), forward, on.id(), on.cpus()));
        }
        return new ProcessBinding(p.pid(), p.comm(), p.shellCommand(), group, socket.index(), node.id(), node.cpus(), mode,
                mem, threads, device);
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
