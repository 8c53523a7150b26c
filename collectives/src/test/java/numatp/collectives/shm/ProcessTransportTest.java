package numatp.collectives.shm;

import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;
import numatp.collectives.ElementType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessTransportTest {
    private static final CommunicatorConfig CONFIG = CommunicatorConfig.defaults().withSlotBytes(4096)
            .withTimeoutNs(10_000_000_000L);

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void separateJvmsReduceExactlyAndIdenticallyWithEveryAlgorithm() throws Exception {
        String name = ProcessTransport.uniqueName();
        List<Process> ranks = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            ranks.add(start(name, r, "0,0,1", "sum"));
        }
        List<List<String>> outputs = new ArrayList<>();
        for (Process p : ranks) {
            List<String> lines = lines(p);
            assertTrue(p.waitFor(50, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), String.join("\n", lines));
            outputs.add(lines.stream().filter(l -> l.startsWith("RESULT")).toList());
        }
        assertEquals(4, outputs.get(0).size(), outputs.toString());
        assertEquals(outputs.get(0), outputs.get(1));
        assertEquals(outputs.get(0), outputs.get(2));
        assertFalse(Files.exists(ProcessTransport.path(dir, name)), "rank 0 removes the file on close");
    }

    @Test
    @Timeout(90)
    void separateJvmsReadingBuffersInPlaceGetTheStagedBits() throws Exception {
        List<List<String>> results = new ArrayList<>();
        for (String mode : List.of("sum", "inplace")) {
            String name = ProcessTransport.uniqueName();
            List<Process> ranks = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                ranks.add(start(name, r, "0,0,0", mode));
            }
            for (Process p : ranks) {
                List<String> lines = lines(p);
                assertTrue(p.waitFor(80, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), mode + ": " + String.join("\n", lines));
                results.add(lines.stream().filter(l -> l.startsWith("RESULT")).toList());
            }
        }
        assertEquals(4, results.get(0).size(), results.toString());
        for (List<String> rank : results) {
            assertEquals(results.get(0), rank, "every rank of both groups, staged and in place: " + results);
        }
    }

    @Test
    @Timeout(60)
    void survivorsFailCleanlyNamingAProcessKilledMidCall() throws Exception {
        String name = ProcessTransport.uniqueName();
        List<Process> ranks = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            ranks.add(start(name, r, "0,0,0", r == 1 ? "hang" : "sum"));
        }
        BufferedReader hanging = new BufferedReader(new InputStreamReader(ranks.get(1).getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = hanging.readLine()) != null && !line.equals("READY")) {
            // skip RESULT lines until the rank stops participating
        }
        assertEquals("READY", line);
        ranks.get(1).destroyForcibly().waitFor();
        for (int r : new int[] {0, 2}) {
            Process p = ranks.get(r);
            List<String> lines = lines(p);
            assertTrue(p.waitFor(50, TimeUnit.SECONDS));
            assertEquals(3, p.exitValue(), String.join("\n", lines));
            String error = lines.get(lines.size() - 1);
            assertTrue(error.startsWith("COLLECTIVE-ERROR") && error.contains("allReduce") && error.contains("rank 1"), error);
        }
    }

    @Test
    @Timeout(30)
    void staleFileOfADeadRunIsReplacedWithTheNextGeneration() throws Exception {
        String name = ProcessTransport.uniqueName();
        Process dead = new ProcessBuilder(javaBinary(), "-version").redirectErrorStream(true).start();
        dead.getInputStream().readAllBytes();
        dead.waitFor();
        Path path = ProcessTransport.path(dir, name);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment stale = ch.map(FileChannel.MapMode.READ_WRITE, 0, 8192, arena);
            ThreadTransport.writeHeader(stale, new int[] {0, 0}, 4096, 0, 41, dead.pid());
        }
        List<Communicator> group = joinAsThreads(name, new int[] {0, 0});
        try {
            ShmCommunicator c0 = (ShmCommunicator) group.get(0);
            assertEquals(42, c0.sync.group.header.get(ValueLayout.JAVA_LONG, GroupLayout.GENERATION));
            numatp.collectives.RankThreadsAccess.run(group, c -> c.allReduce(MemorySegment.NULL, 0, ElementType.F32));
        } finally {
            group.forEach(Communicator::close);
        }
    }

    @Test
    @Timeout(30)
    void aJoinerWithADifferentShapeIsRejectedWhileTheCreatorLives() {
        String name = ProcessTransport.uniqueName();
        CommunicatorConfig quick = CONFIG.withTimeoutNs(2_000_000_000L);
        CompletableFuture<Communicator> creator = CompletableFuture.supplyAsync(
                () -> ProcessTransport.join(dir, name, 0, new int[] {0, 0}, quick),
                task -> Thread.ofPlatform().daemon().start(task));
        CollectiveException e = assertThrows(CollectiveException.class, () -> {
            while (!Files.exists(ProcessTransport.path(dir, name))) {
                Thread.onSpinWait();
            }
            ProcessTransport.join(dir, name, 1, new int[] {0, 0, 0}, quick);
        });
        assertTrue(e.getMessage().contains("does not match") || e.getMessage().contains("timed out"), e.getMessage());
        CollectiveException joinTimeout = assertThrows(CollectiveException.class, () -> {
            try {
                creator.join();
            } catch (java.util.concurrent.CompletionException ce) {
                throw ce.getCause();
            }
        });
        assertTrue(joinTimeout.getMessage().contains("missing ranks: [1]"), joinTimeout.getMessage());
    }

    @Test
    @Timeout(60)
    void fileBackedGroupsPassTheDifferentialCheck() throws Exception {
        long seed = System.nanoTime();
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int trial = 0; trial < 8; trial++) {
            int ranks = random.nextInt(1, 7);
            int[] nodes = new int[ranks];
            for (int r = 0; r < ranks; r++) {
                nodes[r] = random.nextInt(2);
            }
            numatp.collectives.Algorithm algorithm = numatp.collectives.Algorithm.values()[trial % 4];
            ElementType type = ElementType.values()[random.nextInt(3)];
            int count = random.nextInt(0, 3000);
            numatp.collectives.AllReduceDifferentialTest.checkAllReduce(random, nodes, algorithm, type, count, 2,
                    "seed=" + seed + " trial=" + trial + " nodes=" + java.util.Arrays.toString(nodes) + " " + algorithm
                            + " " + type + " count=" + count,
                    config -> joinAsThreads(ProcessTransport.uniqueName(), nodes, config));
        }
    }

    private List<Communicator> joinAsThreads(String name, int[] nodes) throws Exception {
        return joinAsThreads(name, nodes, CONFIG);
    }

    private List<Communicator> joinAsThreads(String name, int[] nodes, CommunicatorConfig config) throws Exception {
        List<CompletableFuture<Communicator>> joins = new ArrayList<>();
        for (int r = 0; r < nodes.length; r++) {
            int rank = r;
            // A thread per rank: joins block until every rank has joined.
            joins.add(CompletableFuture.supplyAsync(() -> ProcessTransport.join(dir, name, rank, nodes, config),
                    task -> Thread.ofPlatform().daemon().start(task)));
        }
        List<Communicator> group = new ArrayList<>();
        for (CompletableFuture<Communicator> f : joins) {
            group.add(f.get());
        }
        return group;
    }

    private Process start(String name, int rank, String nodes, String mode) throws IOException {
        return new ProcessBuilder(javaBinary(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), ProcessRankMain.class.getName(),
                dir.toString(), name, Integer.toString(rank), nodes, mode)
                .redirectErrorStream(true).start();
    }

    private static List<String> lines(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.startsWith("WARNING: Using incubator")).toList();
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
