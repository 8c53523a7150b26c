package numatp.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tp bench allreduce --mpi} under mpirun on loopback, each rank its own host (tag mpi, .ci/mpi-tests). */
@Tag("mpi")
@Timeout(240)
class BenchAllReduceMpiTest {
    record Run(int code, String out) {
    }

    @Test
    void printsOneTableFromRankZero() throws Exception {
        Run r = mpirun(2, "bench", "allreduce", "--mpi", "--shards", "2", "--sizes", "4KiB,64KiB", "--iterations", "5");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("2 ranks on 2 hosts"), r.out());
        assertEquals(1, r.out().lines().filter(l -> l.contains("numatp med µs")).count(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith("4KiB")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith("64KiB")), r.out());
    }

    @Test
    void shardsOtherThanTheJobsRanksAreNamed() throws Exception {
        Run r = mpirun(2, "bench", "allreduce", "--mpi", "--shards", "3", "--sizes", "4KiB");
        assertNotEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("--shards 3 but the MPI job has 2 ranks"), r.out());
    }

    private static Run mpirun(int ranks, String... args) throws Exception {
        List<String> cmd = MpiRun.command(ranks, "rank", args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
