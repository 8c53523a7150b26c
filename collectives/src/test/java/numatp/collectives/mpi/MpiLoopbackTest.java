package numatp.collectives.mpi;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MPI binding for real: {@code mpirun} on loopback over TCP, each rank its own host
 * ({@code NUMATP_MPI_HOST=rank}). Tagged "mpi": run by {@code .ci/mpi-tests} (mvn -Pmpi),
 * which installs Open MPI first; skips with a reason where mpirun is absent.
 */
@Tag("mpi")
@Timeout(240)
class MpiLoopbackTest {
    record Run(int code, String out, long millis) {
    }

    @Test
    void fixedOrderAllReduceEqualsASequentialSumOnEveryRank() throws Exception {
        long seed = new SplittableRandom().nextLong();
        for (int ranks : new int[] {2, 3}) {
            Run r = mpirun(ranks, "allreduce", Long.toString(seed), "30000");
            assertEquals(0, r.code(), "seed " + seed + ":\n" + r.out());
            for (int rank = 0; rank < ranks; rank++) {
                assertTrue(r.out().contains("OK " + rank + " hosts " + ranks), r.out());
            }
            assertTrue(r.out().contains("Open MPI"), r.out());
        }
    }

    @Test
    void threeTiersOverTwoHostsOfTwoRanksEachAgreeOnEveryRank() throws Exception {
        long seed = new SplittableRandom().nextLong();
        Run r = mpirunWithHosts(4, "rank/2", "tiers", Long.toString(seed), "30000");
        assertEquals(0, r.code(), "seed " + seed + ":\n" + r.out());
        for (int rank = 0; rank < 4; rank++) {
            assertTrue(r.out().contains("tiers " + rank + " of 4 ok"), r.out());
            assertTrue(r.out().contains("OK " + rank + " hosts 2"), r.out());
        }
    }

    @Test
    void threeTiersWithTwoShardsPerRankAgreeOnEveryShard() throws Exception {
        long seed = new SplittableRandom().nextLong();
        // 2 hosts of 2 ranks x 2 shards: 4 shards per host over the process transport, MPI between the hosts
        Run r = mpirunWithHosts(4, "rank/2", "tiers", Long.toString(seed), "30000", "2");
        assertEquals(0, r.code(), "seed " + seed + ":\n" + r.out());
        for (int shard = 0; shard < 8; shard++) {
            assertTrue(r.out().contains("tiers " + shard + " of 8 ok"), r.out());
        }
        // each rank its own host, 3 shards on threads: the thread transport inside each host, MPI between them
        r = mpirunWithHosts(2, "rank", "tiers", Long.toString(seed), "30000", "3");
        assertEquals(0, r.code(), "seed " + seed + ":\n" + r.out());
        for (int shard = 0; shard < 6; shard++) {
            assertTrue(r.out().contains("tiers " + shard + " of 6 ok"), r.out());
        }
    }

    @Test
    void aStoppedHostEndsTheJobWithinTheTimeoutNamingTheCall() throws Exception {
        Run r = mpirun(2, "stop", "1", "3000");
        assertNotEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("MPI_Allgather (allreduce over world) has not completed in 3000 ms"), r.out());
        assertTrue(r.millis() < 60_000, "took " + r.millis() + " ms");
    }

    @Test
    void aKilledHostEndsTheJob() throws Exception {
        Run r = mpirun(2, "kill", "1", "5000");
        assertNotEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("signal 9") || r.out().contains("has not completed"), r.out());
        assertTrue(r.millis() < 60_000, "took " + r.millis() + " ms");
    }

    static Run mpirun(int ranks, String... args) throws IOException, InterruptedException {
        return mpirunWithHosts(ranks, "rank", args);
    }

    static Run mpirunWithHosts(int ranks, String hosts, String... args) throws IOException, InterruptedException {
        Path mpirun = onPath("mpirun");
        Assumptions.assumeTrue(mpirun != null, "mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)");
        List<String> cmd = new ArrayList<>(List.of(mpirun.toString()));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("--allow-run-as-root");
        }
        cmd.addAll(List.of("-np", Integer.toString(ranks), "--oversubscribe", "--mca", "btl", "tcp,self",
                "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo",
                "-x", MpiSession.HOST_ENV + "=" + hosts,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), MpiProbe.class.getName()));
        cmd.addAll(List.of(args));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
