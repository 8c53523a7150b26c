package numatp.topology.numavm;

import com.sun.jna.Native;
import numatp.topology.SharedData;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command in a QEMU guest with a multi-node NUMA kernel through
 * {@code ../shared/numa-vm/numa-vm.sh}, and the {@link NumaProbe} (or another module's probe,
 * {@link #runMain}) in it. Tests first ask {@link #unavailableReason()} and skip when QEMU, the
 * kernel image, the script or root are missing. Shared with other modules' numa-vm tests
 * through the topology test-jar.
 */
public final class NumaVm {
    private NumaVm() {
    }

    public record Result(int exitCode, String output) {
        /** The {@code PROBE key=value} lines; repeated keys keep every value, joined by newlines. */
        public Map<String, String> probe() {
            Map<String, String> values = new LinkedHashMap<>();
            for (String line : output.split("\n")) {
                if (line.startsWith("PROBE ")) {
                    int eq = line.indexOf('=');
                    if (eq > 0) {
                        values.merge(line.substring(6, eq), line.substring(eq + 1), (a, b) -> a + "\n" + b);
                    }
                }
            }
            return values;
        }

        /** The guest exited 0 and the probe printed {@code done=true}: it ran to the end. */
        public void assertRanToTheEnd() {
            org.junit.jupiter.api.Assertions.assertEquals(0, exitCode, output);
            org.junit.jupiter.api.Assertions.assertEquals("true", probe().get("done"), output);
        }
    }

    /** Skips the calling test (a JUnit assumption) when the guest cannot run here, naming why. */
    public static void assumeAvailable() {
        Optional<String> missing = unavailableReason();
        org.junit.jupiter.api.Assumptions.assumeTrue(missing.isEmpty(),
                () -> "numa-vm unavailable: " + missing.orElse(""));
    }

    public static Path script() {
        return SharedData.dir().resolve("numa-vm").resolve("numa-vm.sh");
    }

    /** Why the guest cannot run here, or empty when it can. */
    public static Optional<String> unavailableReason() {
        if (!Files.isRegularFile(script())) {
            return Optional.of("no " + script());
        }
        if (!onPath("qemu-system-x86_64")) {
            return Optional.of("qemu-system-x86_64 not installed (apt-get install qemu-system-x86)");
        }
        try (var kernels = Files.list(Path.of("/boot"))) {
            if (kernels.noneMatch(p -> p.getFileName().toString().startsWith("vmlinuz-"))) {
                return Optional.of("no /boot/vmlinuz-* (apt-get install linux-image-amd64)");
            }
        } catch (IOException e) {
            return Optional.of("cannot list /boot: " + e.getMessage());
        }
        if (!onPath("busybox")) {
            return Optional.of("busybox not installed (apt-get install busybox-static)");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("numa-vm.sh needs root");
        }
        return Optional.empty();
    }

    /** Runs {@link NumaProbe} with {@code probeArgs} in a guest started with {@code vmOptions} (e.g. -n 2 -m 256). */
    static Result runProbe(List<String> vmOptions, List<String> probeArgs, int timeoutSeconds)
            throws IOException, InterruptedException {
        return runMain(vmOptions, NumaProbe.class, List.of(numatp.topology.IdSet.class), "", probeArgs, timeoutSeconds);
    }

    /**
     * Runs {@code main} in a guest started with {@code vmOptions}. The class path is the code
     * sources of {@code main}, of {@code classpathOf} and JNA; the build directories among them
     * are shared into the guest. {@code jvmOptions} come before the class name (e.g.
     * {@code --add-modules jdk.incubator.vector}).
     */
    public static Result runMain(List<String> vmOptions, Class<?> main, List<Class<?>> classpathOf, String jvmOptions,
                                 List<String> args, int timeoutSeconds) throws IOException, InterruptedException {
        List<String> entries = new ArrayList<>(List.of(codeSource(main)));
        for (Class<?> type : classpathOf) {
            if (!entries.contains(codeSource(type))) {
                entries.add(codeSource(type));
            }
        }
        return runMain(vmOptions, Map.of(), entries, main.getName(), jvmOptions, args, timeoutSeconds);
    }

    /**
     * Runs class {@code mainClass} from the class path {@code entries} (JNA is added) in a guest
     * started with {@code vmOptions} and the extra environment {@code env} for numa-vm.sh (e.g.
     * {@code QEMU_SMP=4,sockets=2,cores=2,threads=1} for two sockets of two nodes).
     */
    public static Result runMain(List<String> vmOptions, Map<String, String> env, List<String> entries,
                                 String mainClass, String jvmOptions, List<String> args, int timeoutSeconds)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> classpath = new ArrayList<>(entries);
        if (!classpath.contains(codeSource(Native.class))) {
            classpath.add(codeSource(Native.class));
        }
        String command = java + " -Xmx96m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"
                + " --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir=/tmp " + jvmOptions + " -cp "
                + String.join(":", classpath) + " " + mainClass + " " + String.join(" ", args);
        List<String> argv = new ArrayList<>(List.of("bash", script().toString()));
        argv.addAll(vmOptions);
        // The guest mounts a fresh tmpfs on /tmp: share the build output explicitly, so a
        // checkout under /tmp (as CI may use) is still visible inside.
        List<String> shared = new ArrayList<>();
        for (String entry : classpath) {
            String dir = Path.of(entry).getParent().toString();
            if (entry.contains("/target/") && !shared.contains(dir)) {
                shared.add(dir);
                argv.addAll(List.of("-w", dir));
            }
        }
        argv.addAll(List.of("-t", String.valueOf(timeoutSeconds), "--", command));
        return run(argv, env, timeoutSeconds + 30);
    }

    public static Result run(List<String> argv, int timeoutSeconds) throws IOException, InterruptedException {
        return run(argv, Map.of(), timeoutSeconds);
    }

    public static Result run(List<String> argv, Map<String, String> env, int timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        byte[] out;
        try (var in = process.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new Result(124, new String(out, StandardCharsets.UTF_8));
        }
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    public static String codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot locate the class path entry of " + type.getName(), e);
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
