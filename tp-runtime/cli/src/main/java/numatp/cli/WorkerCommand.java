package numatp.cli;

import numatp.runtime.process.NodeWorker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * One worker process of {@code --workers processes} ({@link NodeWorker}); started by the
 * coordinator ({@code tp generate}, {@code tp bench generate}), not by users, so hidden from help.
 */
@Command(name = "worker", hidden = true, mixinStandardHelpOptions = false, description = "One worker process of --workers processes (internal).")
final class WorkerCommand implements Callable<Integer> {
    /** The coordinator's flags, parsed by the worker itself (runtime code, no picocli). */
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return NodeWorker.run(args, System.out);
    }
}
