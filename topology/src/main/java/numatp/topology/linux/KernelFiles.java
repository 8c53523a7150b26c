package numatp.topology.linux;

import numatp.topology.IdSet;
import numatp.topology.TopologyException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The handful of sysfs/procfs files the native layer needs by itself: possible CPUs and nodes, a
 * node's CPUs and free memory, and the memory-related knobs the system check reports. Read under
 * a root directory ({@code /} normally, a fake tree in tests). This is deliberately not a topology
 * detector: each method reads one file when called.
 */
public final class KernelFiles {
    private static final KernelFiles SYSTEM = new KernelFiles(Path.of("/"));

    private final Path root;

    public KernelFiles(Path root) {
        this.root = root;
    }

    public static KernelFiles system() {
        return SYSTEM;
    }

    public Path root() {
        return root;
    }

    /** {@code /sys/devices/system/cpu/possible}: every CPU id the kernel may ever use. */
    public IdSet possibleCpus() {
        return readList("sys/devices/system/cpu/possible").orElseGet(this::fallbackCpus);
    }

    /** {@code /sys/devices/system/node/possible}, or node 0 alone on kernels without NUMA. */
    public IdSet possibleNodes() {
        return readList("sys/devices/system/node/possible").orElse(IdSet.of(0));
    }

    /** {@code /sys/devices/system/node/online}, or node 0 alone on kernels without NUMA. */
    public IdSet onlineNodes() {
        return readList("sys/devices/system/node/online").orElse(IdSet.of(0));
    }

    /** {@code /sys/devices/system/node/has_memory}, or the online nodes when the file is absent. */
    public IdSet nodesWithMemory() {
        return readList("sys/devices/system/node/has_memory").orElseGet(this::onlineNodes);
    }

    /** The CPUs of {@code node} ({@code nodeN/cpulist}); empty Optional when the node does not exist. */
    public Optional<IdSet> nodeCpus(int node) {
        return readList("sys/devices/system/node/node" + node + "/cpulist");
    }

    /** {@code MemTotal} and {@code MemFree} of {@code node}; empty when the node has no meminfo. */
    public Optional<NodeMemInfo> nodeMemInfo(int node) {
        String rel = "sys/devices/system/node/node" + node + "/meminfo";
        return read(rel).map(text -> NodeMemInfo.parse(node, text, root.resolve(rel).toString()));
    }

    /** {@code MemAvailable} of the whole machine from {@code /proc/meminfo}. */
    public OptionalLong memAvailableBytes() {
        Optional<String> text = read("proc/meminfo");
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        for (String line : text.get().split("\n")) {
            if (line.startsWith("MemAvailable:")) {
                return OptionalLong.of(NodeMemInfo.kibibytes(line, "proc/meminfo") * 1024);
            }
        }
        return OptionalLong.empty();
    }

    /** The trimmed content of {@code relativePath} under the root, or empty when it does not exist. */
    public Optional<String> read(String relativePath) {
        Path file;
        try {
            file = root.resolve(relativePath);
        } catch (InvalidPathException e) {
            // A path built from a file's content (a cgroup path with a NUL byte): no such file.
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | SecurityException e) {
            // Unreadable (permissions, a vanished node): the callers treat it as absent and say so.
            return Optional.empty();
        }
    }

    private Optional<IdSet> readList(String relativePath) {
        return read(relativePath).map(text -> IdSet.parseList(text, root.resolve(relativePath).toString()));
    }

    private IdSet fallbackCpus() {
        return IdSet.range(0, Runtime.getRuntime().availableProcessors() - 1);
    }

    /** A node's memory from {@code nodeN/meminfo}. */
    public record NodeMemInfo(int node, long memTotalBytes, long memFreeBytes) {
        static NodeMemInfo parse(int node, String text, String source) {
            long total = -1;
            long free = -1;
            for (String line : text.split("\n")) {
                // "Node 0 MemTotal:       16326364 kB"
                if (line.contains(" MemTotal:")) {
                    total = kibibytes(line, source) * 1024;
                } else if (line.contains(" MemFree:")) {
                    free = kibibytes(line, source) * 1024;
                }
            }
            if (total < 0 || free < 0) {
                throw new TopologyException(source + ": no MemTotal/MemFree line for node " + node);
            }
            return new NodeMemInfo(node, total, free);
        }

        static long kibibytes(String line, String source) {
            String[] parts = line.trim().split("\\s+");
            for (int i = parts.length - 1; i >= 0; i--) {
                if (!parts[i].isEmpty() && Character.isDigit(parts[i].charAt(0))) {
                    try {
                        return Long.parseLong(parts[i]);
                    } catch (NumberFormatException e) {
                        break;
                    }
                }
            }
            throw new TopologyException(source + ": cannot read a kB value from '" + line.trim() + "'");
        }
    }
}
