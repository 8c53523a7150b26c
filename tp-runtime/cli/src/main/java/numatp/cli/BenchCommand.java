package numatp.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tp bench}: parent of the measurement commands (allreduce, generate, serve). */
@Command(name = "bench",
        description = "Measure collectives, generation and serving on this machine.",
        subcommands = {
                CommandLine.HelpCommand.class,
                BenchAllReduceCommand.class,
                BenchAllReduceWorkerCommand.class,
                BenchGenerateCommand.class,
                BenchServeCommand.class,
        })
final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
