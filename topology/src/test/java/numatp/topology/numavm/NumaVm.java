package numatp.topology.numavm;

import com.sun.jna.Native;

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
 * {@code ../shared/numa-vm/numa-vm.sh}, and the {@link NumaProbe} in it. Tests first ask
 * {@link #unavailableReason()} and skip when QEMU, the kernel image, the script or root are missing.
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
    }

    static Path script() {
        return Path.of(System.getProperty("numatp.shared.dir", "../shared"), "numa-vm", "numa-vm.sh");
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
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = String.join(":", codeSource(NumaProbe.class), codeSource(numatp.topology.IdSet.class),
                codeSource(Native.class));
        String command = java + " -Xmx96m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"
                + " --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir=/tmp -cp " + classpath + " "
                + NumaProbe.class.getName() + " " + String.join(" ", probeArgs);
        List<String> argv = new ArrayList<>(List.of("bash", script().toString()));
        argv.addAll(vmOptions);
        // The guest mounts a fresh tmpfs on /tmp: share the build output explicitly, so a
        // checkout under /tmp (as CI may use) is still visible inside.
        argv.addAll(List.of("-w", Path.of(codeSource(NumaProbe.class)).getParent().toString()));
        argv.addAll(List.of("-t", String.valueOf(timeoutSeconds), "--", command));
        return run(argv, timeoutSeconds + 30);
    }

    /**
     * Runs {@code mainClass} in a guest started with {@code vmOptions}, on a class path of the code
     * sources of {@code classpathOf} (each class's jar or classes directory), sharing {@code share}
     * read-write (the build output, which may live under /tmp).
     */
    public static Result runJava(List<String> vmOptions, List<Class<?>> classpathOf, String mainClass,
                                 List<String> args, Path share, int timeoutSeconds)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> entries = new ArrayList<>();
        for (Class<?> c : classpathOf) {
            String entry = codeSource(c);
            if (!entries.contains(entry)) {
                entries.add(entry);
            }
        }
        String command = java + " -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"
                + " --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir=/tmp -cp " + String.join(":", entries) + " "
                + mainClass + " " + String.join(" ", args);
        List<String> argv = new ArrayList<>(List.of("bash", script().toString()));
        argv.addAll(vmOptions);
        argv.addAll(List.of("-w", share.toString(), "-t", String.valueOf(timeoutSeconds), "--", command));
        return run(argv, timeoutSeconds + 30);
    }

    static Result run(List<String> argv, int timeoutSeconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
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
