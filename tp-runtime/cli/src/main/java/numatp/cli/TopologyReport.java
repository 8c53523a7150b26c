package numatp.cli;

import numatp.topology.Cpu;
import numatp.topology.HugePages;
import numatp.topology.NumaNode;
import numatp.topology.PciDevice;
import numatp.topology.Topology;
import numatp.topology.TopologyView;

import java.io.PrintWriter;
import java.util.List;

/**
 * The human form of {@code tp topology}: {@code numactl --hardware} plus what it lacks
 * (huge pages, packages/cores/threads, the cgroup restriction, device locality).
 */
final class TopologyReport {
    private static final long MIB = 1024 * 1024;

    private TopologyReport() {
    }

    static void print(Topology topology, boolean complete, PrintWriter out) {
        TopologyView view = complete ? topology.complete() : topology.allowed();
        out.println("view: " + (complete ? "complete (everything online, ignoring the cgroup)"
                : "allowed (what this process may use; --complete for everything online)"));
        if (!topology.numaAvailable()) {
            out.println("numa: not available (no NUMA information; one node 0 holds every cpu and all memory)");
        }
        out.println("available: " + view.nodes().size() + " nodes (" + view.nodeIds().toListString() + ")");
        for (NumaNode n : view.nodes()) {
            String cpus = n.cpus().isEmpty() ? "(none)" : n.cpus().toListString();
            out.println("node " + n.id() + " cpus: " + cpus + (n.hasMemory() ? "" : "  [no memory]"));
            out.println("node " + n.id() + " size: " + n.memTotalBytes() / MIB + " MiB");
            out.println("node " + n.id() + " free: " + n.memFreeBytes() / MIB + " MiB");
            for (HugePages h : n.hugepages()) {
                out.println("node " + n.id() + " hugepages " + size(h.pageSizeBytes()) + ": " + h.total()
                        + " total, " + h.free() + " free");
            }
        }
        out.println("node distances:");
        int[] ids = view.distances().nodeIds();
        StringBuilder header = new StringBuilder("node ");
        for (int id : ids) {
            header.append(String.format("%4d", id));
        }
        out.println(header);
        for (int i = 0; i < ids.length; i++) {
            StringBuilder row = new StringBuilder(String.format("%4d:", ids[i]));
            for (int j = 0; j < ids.length; j++) {
                row.append(String.format("%4d", view.distances().at(i, j)));
            }
            out.println(row);
        }
        out.println("packages: " + view.packageCount() + ", dies: " + view.dieCount() + ", cores: "
                + view.coreCount() + ", threads: " + view.puCount());
        long offline = topology.cpus().stream().filter(c -> !c.online()).count();
        String onlineCpus = topology.complete().cpuIds().toListString();
        out.println("cpus online: " + onlineCpus + (offline > 0 ? " (" + offline + " offline)" : ""));
        long noNode = topology.cpus().stream().filter(Cpu::online).filter(c -> c.node() < 0).count();
        if (noNode > 0) {
            out.println("cpus without an online node: " + noNode);
        }
        out.println("allowed cpus: " + topology.allowedCpus().toListString() + " of " + onlineCpus);
        out.println("allowed memory nodes: " + topology.allowedNodes().toListString() + " of "
                + topology.complete().nodeIds().toListString());
        out.println("allowed by: " + topology.allowedSource());
        printDevices(topology.devices(), out);
        out.flush();
    }

    private static void printDevices(List<PciDevice> devices, PrintWriter out) {
        List<PciDevice> shown = devices.stream().filter(d -> category(d) != null).toList();
        out.println("devices: " + devices.size() + " pci" + (devices.isEmpty() ? "" : ", "
                + shown.size() + " storage/network/display/accelerator shown (--json lists all)"));
        for (PciDevice d : shown) {
            out.println(String.format("  %s  %-11s class 0x%06x  node %s", d.pciAddress(), category(d),
                    d.classCode(), d.node() < 0 ? "unknown" : Integer.toString(d.node())));
        }
    }

    private static String category(PciDevice d) {
        if (d.isAccelerator()) {
            return (d.classCode() >> 16) == 0x03 ? "display" : "accelerator";
        }
        return switch (d.classCode() >> 16) {
            case 0x01 -> "storage";
            case 0x02 -> "network";
            default -> null;
        };
    }

    private static String size(long bytes) {
        if (bytes % (1024 * MIB) == 0) {
            return bytes / (1024 * MIB) + "GiB";
        }
        if (bytes % MIB == 0) {
            return bytes / MIB + "MiB";
        }
        return bytes / 1024 + "KiB";
    }
}
