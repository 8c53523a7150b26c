package numatp.cli;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts {@code tp} under mpirun on TCP loopback, as the tag-mpi tests do; skips where mpirun is absent. */
final class MpiRun {
    private MpiRun() {
    }

    /**
     * The command line: {@code ranks} ranks, hosts told apart by {@code hostEnv} (NUMATP_MPI_HOST:
     * {@code rank}, {@code rank/N} or a name), running TpMain in this test JVM's JDK and classpath.
     */
    static List<String> command(int ranks, String hostEnv, String... args) {
        Path mpirun = null;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (mpirun == null && Files.isExecutable(Path.of(dir, "mpirun"))) {
                mpirun = Path.of(dir, "mpirun"); // the first on PATH, as a shell would run (not /bin/mpirun: prefix "/")
            }
        }
        Assumptions.assumeTrue(mpirun != null, "mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)");
        List<String> cmd = new ArrayList<>(List.of(mpirun.toString()));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("--allow-run-as-root");
        }
        cmd.addAll(List.of("-np", Integer.toString(ranks), "--oversubscribe", "--mca", "btl", "tcp,self",
                "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo", "-x", "NUMATP_MPI_HOST=" + hostEnv,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), TpMain.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static Process start(List<String> command, boolean mergeErrors) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(mergeErrors).start();
    }

    /** The pid of world rank {@code rank}'s JVM among {@code mpirun}'s descendants, or -1 while it has none. */
    static long rankPid(Process mpirun, int rank) {
        for (ProcessHandle h : mpirun.descendants().toList()) {
            try {
                String env = Files.readString(Path.of("/proc", Long.toString(h.pid()), "environ"));
                if (h.info().command().orElse("").endsWith("java")
                        && env.contains("\0OMPI_COMM_WORLD_RANK=" + rank + "\0")) {
                    return h.pid();
                }
            } catch (IOException e) {
                // gone or not readable: not the one
            }
        }
        return -1;
    }
}
