package numatp.cli;

import numatp.topology.Topology;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * {@code --topology-root} (a picocli mixin): plan for a captured machine instead of this one.
 * Commands that run shards then leave their threads unpinned and say so once.
 */
final class TopologyRootOptions {
    static final String FLAG = "--topology-root";

    @Option(names = FLAG, paramLabel = "DIR|FILE.tar.gz",
            description = "Plan for a captured machine (a directory holding sys/ and proc/, or a tp topology --capture"
                    + " archive); commands that run then leave threads unpinned here (one warning).")
    Path root;

    /** The machine to plan for: the capture, or this machine when none was given. */
    Topology detect() {
        return TopologySource.detect(root, FLAG);
    }

    /** True when planning for a captured machine: nothing is bound here. */
    boolean simulated() {
        return root != null;
    }
}
