package numatp.topology.bind;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A generated machine for tp bind tests: {@code sockets} packages of {@code nodesPerSocket} nodes
 * of {@code cpusPerNode} single-thread CPUs (numbered node by node), as sysfs files, plus
 * processes written as /proc/PID/{comm,cmdline,task/TID/comm,task/TID/status,numa_maps}.
 */
final class BindTree {
    private BindTree() {
    }

    static Path machine(Path root, int sockets, int nodesPerSocket, int cpusPerNode) {
        int nodes = sockets * nodesPerSocket;
        int cpus = nodes * cpusPerNode;
        write(root, "sys/devices/system/cpu/online", "0-" + (cpus - 1) + "\n");
        write(root, "sys/devices/system/cpu/possible", "0-" + (cpus - 1) + "\n");
        for (int c = 0; c < cpus; c++) {
            int node = c / cpusPerNode;
            int socket = node / nodesPerSocket;
            int first = socket * nodesPerSocket * cpusPerNode;
            String dir = "sys/devices/system/cpu/cpu" + c + "/";
            write(root, dir + "online", "1\n");
            write(root, dir + "topology/core_cpus_list", c + "\n");
            write(root, dir + "topology/thread_siblings_list", c + "\n");
            write(root, dir + "topology/package_cpus_list", first + "-" + (first + nodesPerSocket * cpusPerNode - 1) + "\n");
            write(root, dir + "topology/physical_package_id", socket + "\n");
            write(root, dir + "topology/core_id", c + "\n");
        }
        write(root, "sys/devices/system/node/online", "0-" + (nodes - 1) + "\n");
        write(root, "sys/devices/system/node/possible", "0-" + (nodes - 1) + "\n");
        write(root, "sys/devices/system/node/has_memory", "0-" + (nodes - 1) + "\n");
        for (int n = 0; n < nodes; n++) {
            String dir = "sys/devices/system/node/node" + n + "/";
            write(root, dir + "cpulist", (n * cpusPerNode) + "-" + (n * cpusPerNode + cpusPerNode - 1) + "\n");
            StringBuilder dist = new StringBuilder();
            for (int m = 0; m < nodes; m++) {
                dist.append(m == n ? "10" : m / nodesPerSocket == n / nodesPerSocket ? "12" : "20").append(' ');
            }
            write(root, dir + "distance", dist.toString().strip() + "\n");
            write(root, dir + "meminfo", "Node " + n + " MemTotal: 8388608 kB\nNode " + n + " MemFree: 6291456 kB\n");
        }
        return root;
    }

    /** A process with threads {tid: comm}; the main thread (tid == pid) takes the process name. */
    static void process(Path root, int pid, String comm, String cmdline, Map<Integer, String> threads) {
        String dir = "proc/" + pid + "/";
        write(root, dir + "comm", comm + "\n");
        write(root, dir + "cmdline", cmdline.replace(' ', '\0') + "\0");
        write(root, dir + "task/" + pid + "/comm", comm + "\n");
        allowed(root, pid, pid, "0-1023");
        threads.forEach((tid, name) -> {
            write(root, dir + "task/" + tid + "/comm", name + "\n");
            allowed(root, pid, tid, "0-1023");
        });
    }

    /** As {@link #process(Path, int, String, String, Map)}, with {@code PID/stat} naming the parent. */
    static void process(Path root, int pid, int ppid, String comm, String cmdline, Map<Integer, String> threads) {
        process(root, pid, comm, cmdline, threads);
        // the name in parentheses may hold spaces and ')': readers must take the last ')'
        write(root, "proc/" + pid + "/stat", pid + " (" + comm + ") S " + ppid + " " + pid + " " + pid
                + " 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 " + (threads.size() + 1) + " 0 100\n");
    }

    /** {@code sys/class/accel/accelN/device/numa_node} (no file when {@code node} is null). */
    static void accel(Path root, int n, Integer node) {
        String dir = "sys/class/accel/accel" + n + "/device/";
        write(root, dir + "uevent", "DRIVER=fake\n");
        if (node != null) {
            write(root, dir + "numa_node", node + "\n");
        }
    }

    /** A PCI function with its class, vendor and node ({@code sys/bus/pci/devices/ADDR}, a real directory). */
    static void pci(Path root, String address, String pciClass, String vendor, int node) {
        String dir = "sys/devices/pci0000:00/" + address + "/";
        write(root, dir + "class", pciClass + "\n");
        write(root, dir + "vendor", vendor + "\n");
        write(root, dir + "numa_node", node + "\n");
        link(root, "sys/bus/pci/devices/" + address, "../../../devices/pci0000:00/" + address);
    }

    /** A network interface as the kernel links it: under its PCI device, or virtual when address is null. */
    static void nic(Path root, String name, String address) {
        String target = address == null ? "devices/virtual/net/" + name : "devices/pci0000:00/" + address
                + "/net/" + name;
        write(root, "sys/" + target + "/uevent", "INTERFACE=" + name + "\n");
        link(root, "sys/class/net/" + name, "../../" + target);
    }

    static void link(Path root, String relative, String target) {
        try {
            Path link = root.resolve(relative);
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, Path.of(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void allowed(Path root, int pid, int tid, String cpus) {
        write(root, "proc/" + pid + "/task/" + tid + "/status", "Name:\tx\nCpus_allowed:\tff\nCpus_allowed_list:\t"
                + cpus + "\nMems_allowed_list:\t0\n");
    }

    static void write(Path root, String relative, String text) {
        try {
            Path file = root.resolve(relative);
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
