package numatp.cli;

import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.TopologyJson;
import numatp.topology.capture.Capture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.nio.file.Paths;

/** {@code tp topology}: what the machine is, from sysfs/procfs or a capture. */
@Command(name = "topology", description = {
        "Show the machine's NUMA topology: nodes with CPUs, memory and huge pages, distances,",
        "packages/cores/threads, what the cgroup allows, and PCI devices with their node."})
final class TopologyCommand implements Runnable {
    @Option(names = "--json", description = "Print JSON (schema: docs/topology.md).")
    boolean json;

    @Option(names = "--root", paramLabel = "DIR|FILE.tar.gz",
            description = "Read a captured tree (a directory or a --capture archive) instead of /.")
    Path root;

    @Option(names = "--capture", paramLabel = "FILE.tar.gz",
            description = "Also write the files read into FILE.tar.gz, for bug reports.")
    Path capture;

    @Option(names = "--complete", description = "Show everything online, ignoring the cgroup restriction.")
    boolean complete;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        Path source = root == null ? Paths.get("/") : root;
        Path readFrom = TopologySource.open(source, "--root");
        Topology topology;
        if (capture != null) {
            topology = Capture.write(readFrom, capture);
        } else {
            topology = TopologyDetector.detect(readFrom);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(TopologyJson.toJson(topology, complete));
            out.flush();
        } else {
            TopologyReport.print(topology, complete, out);
        }
        if (capture != null) {
            spec.commandLine().getErr().println("wrote capture " + capture.toAbsolutePath()
                    + " (read it back with: tp topology --root " + capture + ")");
            spec.commandLine().getErr().flush();
        }
    }
}
