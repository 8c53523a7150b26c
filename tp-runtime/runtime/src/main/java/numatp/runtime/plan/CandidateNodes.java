package numatp.runtime.plan;

import numatp.runtime.config.ConfigException;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;
import numatp.topology.TopologyView;

import java.util.ArrayList;
import java.util.List;

/**
 * The nodes a plan may use: {@code --numa-nodes} (or every node holding CPUs this
 * process may use), each checked to exist and to have such CPUs. A candidate keeps only
 * its allowed CPUs; its free memory counts as 0 when the cgroup forbids allocating on
 * it (cpuset.mems can differ from the nodes of cpuset.cpus).
 */
final class CandidateNodes {
    private CandidateNodes() {
    }

    /** Every online node with allowed CPUs, restricted to them. */
    static List<NumaNode> usable(Topology topology) {
        List<NumaNode> nodes = new ArrayList<>();
        for (NumaNode node : topology.complete().nodes()) {
            IdSet cpus = node.cpus().intersect(topology.allowedCpus());
            if (!cpus.isEmpty()) {
                long free = topology.allowedNodes().contains(node.id()) ? node.memFreeBytes() : 0;
                nodes.add(new NumaNode(node.id(), cpus, node.memTotalBytes(), free, node.hugepages()));
            }
        }
        return nodes;
    }

    static List<NumaNode> choose(Topology topology, NumaTensorParallelConfig config) {
        TopologyView complete = topology.complete();
        List<NumaNode> usableNodes = usable(topology);
        IdSet usable = IdSet.of(usableNodes.stream().mapToInt(NumaNode::id).toArray());
        if (usable.isEmpty()) {
            throw new PlanException("no NUMA node has CPUs this process may use (allowed CPUs: "
                    + topology.allowedCpus().toListString() + ")");
        }
        IdSet requested = config.numaNodes().isEmpty() ? usable : config.numaNodes();
        for (int id : requested.toArray()) {
            check(id, "--numa-nodes", complete, topology, usable);
        }
        for (int node : config.nodeAffinity().values()) {
            if (!requested.contains(node)) {
                check(node, "--node-affinity", complete, topology, usable);
                throw new ConfigException("--node-affinity uses node " + node + ", which is not among the nodes in use ("
                        + requested.toListString() + ")");
            }
        }
        List<NumaNode> nodes = new ArrayList<>();
        for (NumaNode node : usableNodes) {
            if (requested.contains(node.id())) {
                nodes.add(node);
            }
        }
        return nodes;
    }

    private static void check(int id, String flag, TopologyView complete, Topology topology, IdSet usable) {
        if (!complete.nodeIds().contains(id)) {
            throw new ConfigException(flag + " names node " + id + ", which does not exist (online nodes: "
                    + complete.nodeIds().toListString() + ")");
        }
        if (!usable.contains(id)) {
            boolean hasCpus = complete.node(id).hasCpus();
            throw new ConfigException(flag + " names node " + id + ", which has no CPUs " + (hasCpus
                    ? "this process may use (the cgroup cpuset or affinity allows CPUs "
                    + topology.allowedCpus().toListString() + ")"
                    : "(a memory-only node)") + "; shards need CPUs. Nodes with usable CPUs: " + usable.toListString());
        }
    }
}
