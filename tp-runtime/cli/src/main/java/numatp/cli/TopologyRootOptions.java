package numatp.cli;

import numatp.topology.Topology;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --topology-root} (a picocli mixin): plan for a captured machine instead of this one.
 * Commands that run shards then leave their threads unpinned and say so once.
 */
final class TopologyRootOptions {
    static final String FLAG = "--topology-root";

    @Option(names = FLAG, paramLabel = "DIR|FILE.tar.gz", split = ",",
            description = "Plan for a captured machine (a directory holding sys/ and proc/, or a tp topology --capture"
                    + " archive); commands that run then leave threads unpinned here (one warning). tp plan takes"
                    + " several, comma-separated: one host each (a multi-host plan).")
    List<Path> roots;

    /** The machine to plan for: the capture, or this machine when none was given. */
    Topology detect() {
        if (roots != null && roots.size() > 1) {
            throw new UsageException(FLAG + " names " + roots.size() + " captures; only tp plan takes several (one per"
                    + " host)");
        }
        return TopologySource.detect(root(), FLAG);
    }

    /** Every host's topology, in the order given (this machine alone when none was given). */
    List<Topology> detectAll() {
        List<Topology> hosts = new ArrayList<>();
        if (roots == null || roots.isEmpty()) {
            hosts.add(TopologySource.detect(null, FLAG));
        } else {
            for (Path root : roots) {
                hosts.add(TopologySource.detect(root, FLAG));
            }
        }
        return hosts;
    }

    /** The first capture given, or null. */
    Path root() {
        return roots == null || roots.isEmpty() ? null : roots.getFirst();
    }

    /** How many hosts were given (1 without the flag). */
    int hosts() {
        return roots == null || roots.isEmpty() ? 1 : roots.size();
    }

    /** True when planning for a captured machine: nothing is bound here. */
    boolean simulated() {
        return root() != null;
    }
}
