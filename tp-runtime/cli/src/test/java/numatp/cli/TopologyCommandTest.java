package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.SharedData;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tp topology} in-process: human and JSON output, captures, and bad input. */
@Timeout(60)
class TopologyCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CAPTURE = "16amd64-4n4c-cgroup-distance-merge";
    private static Path captureRoot;

    record Run(int code, String out, String err) {
    }

    static Run tp(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TpMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    /** The capture, extracted on first use (the tests that need no capture run without ../shared). */
    static synchronized Path captureRoot() throws IOException {
        if (captureRoot == null) {
            captureRoot = extractCapture();
        }
        return captureRoot;
    }

    private static Path extractCapture() throws IOException {
        Path shared = SharedData.require("topologies", CAPTURE);
        Path into = Paths.get(System.getProperty("java.io.tmpdir"), "cli-captures");
        Files.createDirectories(into);
        try (InputStream raw = Files.newInputStream(shared.resolve(CAPTURE + ".tar.bz2"));
             TarArchiveInputStream tar = new TarArchiveInputStream(new BZip2CompressorInputStream(raw))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path target = into.resolve(e.getName()).normalize();
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else if (e.isSymbolicLink()) {
                    Files.createDirectories(target.getParent());
                    Files.deleteIfExists(target);
                    Files.createSymbolicLink(target, Paths.get(e.getLinkName()));
                } else if (e.isFile()) {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return into.resolve(CAPTURE);
    }

    @Test
    void printsNumactlStyleReportForCapture() throws IOException {
        Run run = tp("topology", "--root", captureRoot().toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("available: 2 nodes (2-3)"), run.out());
        assertTrue(run.out().contains("node 2 cpus: (none)"), run.out());
        assertTrue(run.out().contains("node 2 size: 8192 MiB"), run.out());
        assertTrue(run.out().contains("node 2 hugepages 2MiB: 512 total, 512 free"), run.out());
        assertTrue(run.out().contains("   2:  10  20"), run.out());
        assertTrue(run.out().contains("allowed cpus: 0-3 of 0-15"), run.out());
        assertTrue(run.out().contains("allowed memory nodes: 2-3 of 0-3"), run.out());
        Run complete = tp("topology", "--complete", "--root", captureRoot().toString());
        assertTrue(complete.out().contains("available: 4 nodes (0-3)"), complete.out());
        assertTrue(complete.out().contains("packages: 4, dies: 4, cores: 16, threads: 16"), complete.out());
    }

    @Test
    void printsStableJsonForCapture() throws IOException {
        Run run = tp("topology", "--json", "--root", captureRoot().toString());
        assertEquals(0, run.code(), run.err());
        JsonNode json = JSON.readTree(run.out());
        assertTrue(json.get("numaAvailable").asBoolean());
        assertEquals(List.of(2, 3), ints(json.get("allowedNodes")));
        assertEquals(List.of(0, 1, 2, 3), ints(json.get("allowedCpus")));
        JsonNode node2 = json.get("nodes").get(0);
        assertEquals(2, node2.get("id").asInt());
        assertEquals(List.of(), ints(node2.get("cpus")));
        assertEquals(8589934592L, node2.get("memTotalBytes").asLong());
        assertEquals(2097152, node2.get("hugepages").get(0).get("pageSizeBytes").asLong());
        assertEquals(512, node2.get("hugepages").get(0).get("total").asLong());
        assertTrue(node2.get("allowed").asBoolean());
        assertEquals(List.of(2, 3), ints(json.get("distances").get("nodeIds")));
        assertEquals(20, json.get("distances").get("matrix").get(0).get(1).asInt());
        assertEquals(16, json.get("cpus").size());
        JsonNode cpu5 = json.get("cpus").get(5);
        for (String key : List.of("id", "node", "package", "die", "core", "siblings", "online", "allowed")) {
            assertTrue(cpu5.has(key), "cpus[] has " + key);
        }
        assertEquals(1, cpu5.get("node").asInt());
        assertTrue(!cpu5.get("allowed").asBoolean());
        assertEquals(1, json.get("packages").asInt());
        assertEquals(4, json.get("cores").asInt());
        assertEquals(4, json.get("pus").asInt());
        assertTrue(json.get("devices").isArray());
        JsonNode complete = JSON.readTree(tp("topology", "--json", "--complete", "--root", captureRoot().toString()).out());
        assertEquals(4, complete.get("nodes").size());
        assertTrue(!complete.get("nodes").get(0).get("allowed").asBoolean());
    }

    @Test
    void captureThenRootGivesTheSameTopology(@TempDir Path tmp) throws IOException {
        Path archive = tmp.resolve("machine.tar.gz");
        Run live = tp("topology", "--json", "--capture", archive.toString());
        assertEquals(0, live.code(), live.err());
        assertTrue(Files.size(archive) > 0);
        Run replay = tp("topology", "--json", "--root", archive.toString());
        assertEquals(0, replay.code(), replay.err());
        assertEquals(JSON.readTree(live.out()), JSON.readTree(replay.out()));
        // A capture of a captured tree (with its symlinks) reads back the same too.
        Path second = tmp.resolve("again.tar.gz");
        Run fromCapture = tp("topology", "--json", "--root", captureRoot().toString(), "--capture", second.toString());
        Run replayed = tp("topology", "--json", "--root", second.toString());
        assertEquals(0, replayed.code(), replayed.err());
        assertEquals(JSON.readTree(fromCapture.out()), JSON.readTree(replayed.out()));
    }

    @Test
    void missingRootIsAUsageError(@TempDir Path tmp) {
        Run run = tp("topology", "--root", tmp.resolve("nope").toString());
        assertEquals(TpMain.EXIT_USAGE, run.code());
        assertEquals(1, run.err().lines().filter(l -> l.startsWith("error:")).count(), run.err());
        assertTrue(run.err().contains("nope"), run.err());
    }

    @Test
    void garbageArchiveIsAUsageError(@TempDir Path tmp) throws IOException {
        Path junk = tmp.resolve("junk.tar.gz");
        Files.writeString(junk, "this is not a capture");
        Run run = tp("topology", "--root", junk.toString());
        assertEquals(TpMain.EXIT_USAGE, run.code());
        List<String> lines = run.err().lines().toList();
        assertEquals(1, lines.stream().filter(l -> l.startsWith("error:")).count(), run.err());
        assertTrue(lines.get(0).contains("junk.tar.gz"), run.err());
    }

    @Test
    void directoryWithoutSysfsIsAUsageError(@TempDir Path tmp) {
        Run run = tp("topology", "--root", tmp.toString());
        assertEquals(TpMain.EXIT_USAGE, run.code());
        assertTrue(run.err().startsWith("error: --root"), run.err());
    }

    static List<Integer> ints(JsonNode array) {
        List<Integer> result = new java.util.ArrayList<>();
        array.forEach(n -> result.add(n.asInt()));
        return result;
    }
}
