package numatp.cli;

import numatp.runtime.config.ConfigException;
import numatp.runtime.plan.PlanException;
import numatp.topology.NumatpException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/**
 * The {@code tp} command line. Subcommands do the work; this class owns the
 * conventions they share: {@code --verbose}, one-line {@code error: ...} messages on
 * stderr, and exit codes (0 ok, 1 failure, 2 bad arguments or unusable input).
 */
@Command(name = "tp",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "numatp: NUMA-aware tensor-parallel CPU inference for Llama-family models.",
        subcommands = {
                CommandLine.HelpCommand.class,
                TopologyCommand.class,
                PlanCommand.class,
                NumaCheckCommand.class,
                DoctorCommand.class,
                BindCommand.class,
                BenchCommand.class,
                GenerateCommand.class,
                ServeCommand.class,
                ConvertCommand.class,
                WorkerCommand.class,
        })
public final class TpMain implements Runnable {
    /** Exit code for bad arguments and input the command cannot use. */
    public static final int EXIT_USAGE = 2;
    /** Exit code for a failure while running. */
    public static final int EXIT_FAILURE = 1;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print debug logging and stack traces of errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs {@code tp args} with the given streams and returns the exit code (used by tests). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        CliLogging.configure(verbose, err);
        CommandLine cli = new CommandLine(new TpMain());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        addHelpOption(cli);
        cli.setParameterExceptionHandler((ex, argv) -> {
            err.println("error: " + message(ex));
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.println("(run '" + ex.getCommandLine().getCommandSpec().qualifiedName(" ") + " --help' for usage)");
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof UsageException || ex instanceof ConfigException || ex instanceof PlanException) {
                err.println("error: " + ex.getMessage());
                if (verbose) {
                    ex.printStackTrace(err);
                }
                return EXIT_USAGE;
            }
            if (ex instanceof NumatpException) {
                err.println("error: " + ex.getMessage());
                if (verbose) {
                    ex.printStackTrace(err);
                }
                return EXIT_FAILURE;
            }
            err.println("error: internal error: " + ex);
            if (verbose) {
                ex.printStackTrace(err);
            } else {
                err.println("(this is a bug in numatp; run again with --verbose and report the trace)");
            }
            return EXIT_FAILURE;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Picocli's message, or for a value one of {@link FlagConverters} rejected, the parser's with the flag named. */
    private static String message(CommandLine.ParameterException ex) {
        if (ex.getCause() instanceof FlagConverters.BadValue bad
                && ex.getArgSpec() instanceof CommandLine.Model.OptionSpec option) {
            return bad.messageFor(option.longestName());
        }
        return ex.getMessage();
    }

    /** {@code -h/--help} on every subcommand (the top level has it from its mixin), so {@code tp bench allreduce --help} works. */
    private static void addHelpOption(CommandLine commandLine) {
        for (CommandLine sub : commandLine.getSubcommands().values()) {
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            if (spec.findOption("--help") == null && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                        .description("Show this help message and exit.").build());
            }
            addHelpOption(sub);
        }
    }
}
