package numatp.cli;

import numatp.topology.SharedData;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tp generate --workers mpi} under mpirun on TCP loopback, ranks treated as hosts with
 * NUMATP_MPI_HOST (tag mpi, .ci/mpi-tests): stories260K's greedy text is run.c's, which is also
 * what one host prints, over 2 hosts of one rank holding 1 or 2 shards, over one host of 2 ranks
 * holding 2 shards each and over 2 hosts x 2 ranks; a killed rank ends the job.
 */
@Tag("mpi")
@Timeout(300)
class GenerateMpiTest {
    private static Path models() {
        return SharedData.require("models");
    }

    private static List<String> generate(int ranks, String hosts, String... extra) {
        return generate(ranks, ranks, hosts, extra);
    }

    private static List<String> generate(int ranks, int shards, String hosts, String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", models().resolve("stories260K.bin").toString(),
                "--tokenizer", models().resolve("tok512.bin").toString(), "--temperature", "0",
                "--shards", Integer.toString(shards), "--warmup-seconds", "0", "--workers", "mpi",
                "--pinning", "none"));
        args.addAll(List.of(extra));
        return MpiRun.command(ranks, hosts, args.toArray(new String[0]));
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(List<String> command) throws Exception {
        Process p = MpiRun.start(command, false);
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        if (!p.waitFor(200, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), out, err.get(10, TimeUnit.SECONDS));
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Test
    void twoHostsPrintWhatOneHostPrints() throws Exception {
        Run r = run(generate(2, "rank", "--steps", "200"));
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.readString(models().resolve("stories260K_t0_n200.expected.txt")), r.out());
        assertTrue(r.err().contains("2 MPI ranks on 2 hosts"), r.err());
        // each rank its own host on this machine: the hosts line names both with their cores and ranks
        assertTrue(r.err().contains("hosts: rank-0 (") && r.err().contains("rank-1 ("), r.err());
    }

    @Test
    void twoHostsOfTwoRanksWithExactSumsPrintWhatOneHostPrints() throws Exception {
        // Shared memory inside each host, MPI between the hosts' leaders: all three tiers.
        Run r = run(generate(4, "rank/2", "--steps", "200", "--reduction", "exact"));
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.readString(models().resolve("stories260K_t0_n200.expected.txt")), r.out());
        assertTrue(r.err().contains("4 MPI ranks on 2 hosts"), r.err());
    }

    @Test
    void twoHostsOfOneRankHoldingTwoShardsEachPrintWhatOneHostPrints() throws Exception {
        // 4 shards over 2 ranks: each rank a team of 2 shard threads, the thread transport inside, MPI between
        Run r = run(generate(2, 4, "rank", "--steps", "200"));
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.readString(models().resolve("stories260K_t0_n200.expected.txt")), r.out());
        assertTrue(r.err().contains("2 MPI ranks on 2 hosts joined and loaded 4 shards"), r.err());
        assertTrue(r.err().contains("rank-0 (") && r.err().contains(" ranks 1 x 2 shards, rank-1 ("), r.err());
        assertTrue(r.err().contains("binding: 4 threads"), r.err());
    }

    @Test
    void oneHostOfTwoRanksHoldingTwoShardsEachWithExactSumsPrintsWhatOneHostPrints() throws Exception {
        // both ranks one host: the four shards of two processes meet over the process transport
        Run r = run(generate(2, 4, "rank/2", "--steps", "200", "--reduction", "exact"));
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.readString(models().resolve("stories260K_t0_n200.expected.txt")), r.out());
        assertTrue(r.err().contains("2 MPI ranks on 1 host joined and loaded 4 shards"), r.err());
        assertTrue(r.err().contains(" ranks 2 x 2 shards;"), r.err());
    }

    @Test
    void shardsThatDoNotSplitEvenlyOverTheJobsRanksAreNamed() throws Exception {
        List<String> command = generate(2, "rank", "--steps", "20");
        command.set(command.indexOf("--shards") + 1, "3");
        Run r = run(command);
        assertNotEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("--shards 3 but the MPI job has 2 ranks (mpirun -np 2): --workers mpi gives every"
                + " rank the same number of consecutive shards, so --shards must be a multiple of 2"), r.err());
    }

    @Test
    void aKilledRankEndsTheJobNamingIt() throws Exception {
        Process p = MpiRun.start(generate(2, "rank", "--steps", "512"), true);
        List<String> lines = new ArrayList<>();
        CompletableFuture<Void> loaded = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                    if (line.startsWith("load: open")) {
                        loaded.complete(null);
                    }
                }
            } catch (java.io.IOException e) {
                // the job ended
            }
            loaded.complete(null);
        });
        loaded.get(120, TimeUnit.SECONDS);
        long pid = MpiRun.rankPid(p, 1);
        assertTrue(pid > 0, "rank 1's JVM not found under mpirun: " + lines);
        long killedAt = System.nanoTime();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the job did not end after its rank 1 was killed");
        long endedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        reader.join(10_000);
        String out;
        synchronized (lines) {
            out = String.join("\n", lines);
        }
        assertNotEquals(0, p.exitValue(), out);
        assertTrue(out.contains("rank 1") && out.contains("signal 9"), out);
        assertFalse(out.contains("decode 511 tok"), "the generation finished before the kill: " + out);
        assertTrue(endedMs < 30_000, "ended " + endedMs + " ms after the kill");
        System.out.println("job ended " + endedMs + " ms after rank 1 was killed");
    }
}
