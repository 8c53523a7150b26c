package numatp.cli;

import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.plan.ModelMemory;
import numatp.runtime.plan.NodeBudget;
import numatp.runtime.plan.PlacementPlan;
import numatp.runtime.plan.PlacementPlanner;
import numatp.runtime.plan.ShardPlacement;
import numatp.topology.IdSet;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.security.CodeSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code --print-systemd-unit} and {@code --unit-user} of {@code tp serve} (a picocli mixin):
 * print a {@link SystemdUnit} for the other flags and exit without starting the server.
 */
final class SystemdUnitOptions {
    private static final Set<String> OWN_FLAGS = Set.of("--print-systemd-unit", "--unit-user");

    @Option(names = "--print-systemd-unit",
            description = "Print a systemd unit that runs this tp serve command (CPUs and nodes from the plan) and exit.")
    boolean print;

    @Option(names = "--unit-user", paramLabel = "NAME",
            description = "User= of the printed unit (default: the current user).")
    String user;

    /** Prints the unit for {@code serve}'s flags; {@code model} (may be null) sizes the plan like tp plan. */
    int print(CommandSpec serve, NumaTensorParallelConfig config, TopologyRootOptions topologyRoot, Path model) {
        PlacementPlan plan = PlacementPlanner.plan(topologyRoot.detect(), config, memory(model, config.shards()));
        IdSet cpus = IdSet.empty();
        for (ShardPlacement s : plan.shards()) {
            cpus = cpus.union(s.cpus());
        }
        IdSet nodes = IdSet.of(plan.usedNodes().stream().mapToInt(NodeBudget::id).toArray());
        List<String> exec = new ArrayList<>(launcher());
        exec.add("serve");
        exec.addAll(arguments(serve, serve.commandLine().getParseResult().originalArgs()));
        String javaOpts = System.getenv("TP_JAVA_OPTS");
        SystemdUnit unit = new SystemdUnit(exec, user != null ? user : System.getProperty("user.name"),
                Path.of("").toAbsolutePath().toString(), cpus, nodes, config.preferLocalMemory(),
                javaOpts == null ? "" : javaOpts.strip(), shutdownTimeout(serve));
        PrintWriter out = serve.commandLine().getOut();
        out.print(unit.render());
        out.flush();
        return 0;
    }

    /**
     * The arguments after {@code serve}, without this mixin's flags and with every path-typed
     * option's value absolute ({@code --model m.gguf} becomes {@code --model /srv/m.gguf}).
     */
    static List<String> arguments(CommandSpec serve, List<String> original) {
        int start = original.indexOf("serve") + 1;
        List<String> out = new ArrayList<>();
        for (int i = start; i < original.size(); i++) {
            String arg = original.get(i);
            int eq = arg.indexOf('=');
            String name = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
            OptionSpec option = arg.startsWith("-") ? serve.findOption(name) : null;
            if (option == null) {
                out.add(arg);
                continue;
            }
            boolean takesValue = option.arity().max() > 0 && !option.type().equals(boolean.class)
                    && !option.type().equals(Boolean.class);
            boolean inline = eq > 0 && arg.startsWith("--");
            String value = inline ? arg.substring(eq + 1) : takesValue && i + 1 < original.size() ? original.get(i + 1)
                    : null;
            if (!inline && takesValue) {
                i++;
            }
            if (OWN_FLAGS.contains(option.longestName())) {
                continue;
            }
            if (value != null && takesPaths(option)) {
                StringBuilder absolute = new StringBuilder();
                for (String part : option.splitRegex().isEmpty() ? new String[] {value} : value.split(option.splitRegex())) {
                    absolute.append(absolute.isEmpty() ? "" : ",")
                            .append(Path.of(part).toAbsolutePath().normalize());
                }
                value = absolute.toString();
            }
            if (inline) {
                out.add(name + "=" + value);
            } else {
                out.add(arg);
                if (takesValue && value != null) {
                    out.add(value);
                }
            }
        }
        return out;
    }

    /**
     * The command that starts tp: the {@code tp} launcher when it started this JVM (it exports
     * {@code TP_LAUNCHER}), else java with numatp's JVM flags and this jar or class path.
     */
    static List<String> launcher() {
        String fromScript = System.getenv("TP_LAUNCHER");
        if (fromScript != null && Files.isExecutable(Path.of(fromScript))) {
            return List.of(Path.of(fromScript).toAbsolutePath().normalize().toString());
        }
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        try {
            CodeSource source = TpMain.class.getProtectionDomain().getCodeSource();
            Path code = source == null ? null : Path.of(source.getLocation().toURI());
            if (code != null && Files.isRegularFile(code)) {
                java.addAll(List.of("-jar", code.toAbsolutePath().toString()));
                return java;
            }
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            // not a file URI: fall through to the class path
        }
        java.addAll(List.of("-cp", System.getProperty("java.class.path"), TpMain.class.getName()));
        return java;
    }

    /** {@code --shutdown-timeout} when serve has it (read by flag, so the field may change). */
    private static OptionalInt shutdownTimeout(CommandSpec serve) {
        OptionSpec option = serve.findOption("--shutdown-timeout");
        if (option == null || !(option.getValue() instanceof Number seconds)) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(seconds.intValue());
    }

    /** A Path option, or a list of them ({@code --topology-root a,b}). */
    private static boolean takesPaths(OptionSpec option) {
        if (option.type().equals(Path.class)) {
            return true;
        }
        Class<?>[] elements = option.auxiliaryTypes();
        return java.util.Collection.class.isAssignableFrom(option.type()) && elements.length == 1
                && elements[0].equals(Path.class);
    }

    private static ModelMemory memory(Path model, int shards) {
        if (model == null) {
            return ModelMemory.NONE;
        }
        try {
            return ModelMemory.splitEvenly(Files.size(model), shards);
        } catch (IOException e) {
            throw new UsageException("--model: cannot read " + model + ": " + e.getMessage());
        }
    }
}
