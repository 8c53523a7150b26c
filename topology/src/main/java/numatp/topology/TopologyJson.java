package numatp.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The stable JSON form of a {@link Topology} ({@code tp topology --json}, documented
 * field by field in docs/topology.md). {@code nodes}, {@code distances} and the counts
 * follow the chosen view; {@code cpus} lists every CPU with its {@code online} and
 * {@code allowed} flags; {@code allowedCpus}/{@code allowedNodes} are always present.
 */
public final class TopologyJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TopologyJson() {
    }

    public static String toJson(Topology topology, boolean complete) {
        try {
            return MAPPER.writeValueAsString(toTree(topology, complete));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TopologyException("cannot format the topology as JSON: " + e.getMessage(), e);
        }
    }

    public static ObjectNode toTree(Topology topology, boolean complete) {
        TopologyView view = complete ? topology.complete() : topology.allowed();
        ObjectNode root = MAPPER.createObjectNode();
        root.put("numaAvailable", topology.numaAvailable());
        root.put("view", complete ? "complete" : "allowed");
        ArrayNode nodes = root.putArray("nodes");
        for (NumaNode n : view.nodes()) {
            ObjectNode node = nodes.addObject();
            node.put("id", n.id());
            ints(node.putArray("cpus"), n.cpus());
            node.put("memTotalBytes", n.memTotalBytes());
            node.put("memFreeBytes", n.memFreeBytes());
            ArrayNode pages = node.putArray("hugepages");
            for (HugePages h : n.hugepages()) {
                pages.addObject().put("pageSizeBytes", h.pageSizeBytes()).put("total", h.total()).put("free", h.free());
            }
            node.put("allowed", topology.allowedNodes().contains(n.id()));
        }
        ObjectNode distances = root.putObject("distances");
        ArrayNode ids = distances.putArray("nodeIds");
        for (int id : view.distances().nodeIds()) {
            ids.add(id);
        }
        ArrayNode matrix = distances.putArray("matrix");
        for (int[] row : view.distances().matrix()) {
            ArrayNode r = matrix.addArray();
            for (int d : row) {
                r.add(d);
            }
        }
        ArrayNode cpus = root.putArray("cpus");
        for (Cpu c : topology.cpus()) {
            ObjectNode cpu = cpus.addObject();
            cpu.put("id", c.id());
            cpu.put("node", c.node());
            cpu.put("package", c.packageIndex());
            cpu.put("die", c.die());
            cpu.put("core", c.core());
            ints(cpu.putArray("siblings"), c.siblings());
            cpu.put("l3Group", c.l3Group());
            cpu.put("online", c.online());
            cpu.put("allowed", c.allowed());
        }
        ints(root.putArray("allowedCpus"), topology.allowedCpus());
        ints(root.putArray("allowedNodes"), topology.allowedNodes());
        root.put("allowedSource", topology.allowedSource());
        root.put("packages", view.packageCount());
        root.put("dies", view.dieCount());
        root.put("cores", view.coreCount());
        root.put("pus", view.puCount());
        ArrayNode devices = root.putArray("devices");
        for (PciDevice d : topology.devices()) {
            devices.addObject().put("pciAddress", d.pciAddress())
                    .put("class", String.format("0x%06x", d.classCode())).put("node", d.node());
        }
        return root;
    }

    private static void ints(ArrayNode array, IdSet ids) {
        for (int id : ids.toArray()) {
            array.add(id);
        }
    }
}
