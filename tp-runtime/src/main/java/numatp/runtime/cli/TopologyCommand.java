package numatp.runtime.cli;

import picocli.CommandLine.Command;

/** Placeholder until the topology detector lands. */
@Command(name = "topology", description = "Show the machine's NUMA topology.")
final class TopologyCommand implements Runnable {
    @Override
    public void run() {
        throw new UsageException("not implemented yet");
    }
}
