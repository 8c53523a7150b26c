package numatp.cli;

import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.TopologyException;
import numatp.topology.capture.Capture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where a command reads the machine from: this machine ({@code /}), a captured tree
 * (a directory holding sys/ and proc/), or a {@code tp topology --capture} archive,
 * extracted to a temporary directory removed at exit.
 */
final class TopologySource {
    private TopologySource() {
    }

    /** The topology of {@code root} (null: this machine), named {@code flag} in errors. */
    static Topology detect(Path root, String flag) {
        return root == null ? TopologyDetector.detect() : TopologyDetector.detect(open(root, flag));
    }

    static Path open(Path source, String flag) {
        if (!Files.exists(source)) {
            throw new UsageException(flag + " " + source + ": no such directory or capture file");
        }
        if (Files.isDirectory(source)) {
            if (!Files.isDirectory(source.resolve("sys")) && !Files.isDirectory(source.resolve("proc"))) {
                throw new UsageException(flag + " " + source + ": not a sysfs/procfs tree (no sys/ or proc/ inside)");
            }
            return source;
        }
        try {
            Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
            Path extracted = Capture.openRoot(source, tmp);
            deleteOnExit(extracted);
            return extracted;
        } catch (TopologyException e) {
            throw new UsageException(flag + " " + e.getMessage(), e);
        }
    }

    private static void deleteOnExit(Path dir) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (java.io.IOException ignored) {
                // best effort: a leftover temp directory is harmless
            }
        }));
    }
}
