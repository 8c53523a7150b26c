package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchAllReduceCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int tp(String... args) {
        return TpMain.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    @Timeout(120)
    void writesTableJsonAndPlotForEveryAlgorithmAndSize() throws Exception {
        Path json = dir.resolve("out/results.json");
        Path png = dir.resolve("out/results.png");
        int code = tp("bench", "allreduce", "--shards", "2", "--numa-nodes", "0,1", "--sizes", "1KiB,8KiB",
                "--algorithms", "oneshot,ring,hierarchical,auto", "--iterations", "5", "--output-file", json.toString(),
                "--plot", png.toString());
        assertEquals(0, code, err.toString());
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        assertTrue(doc.at("/machine/memCopyGBs").asDouble() > 0, doc.toString());
        assertTrue(doc.at("/machine/cpus").asInt() > 0, doc.toString());
        assertTrue(doc.at("/machine/roundTripUs").asDouble() > 0, doc.toString());
        assertTrue(out.toString().contains("cache-line round trip: "), out.toString());
        assertEquals(8, doc.get("results").size());
        JsonNode first = doc.get("results").get(0);
        assertEquals("oneshot", first.get("algorithm").asText());
        assertEquals(1024, first.get("bytes").asLong());
        assertEquals(2, first.get("shards").asInt());
        for (String field : new String[] {"medianUs", "p99Us", "algBwGBs", "efficiency"}) {
            assertTrue(first.get(field).asDouble() > 0, field + " in " + first);
        }
        JsonNode regions = first.get("regions");
        assertEquals(2, regions.size(), first.toString());
        assertEquals(1, regions.get(1).get("wantedNode").asInt());
        assertTrue(regions.get(1).get("policy").asText().matches("bind|preferred|interleave|plain"), regions.toString());
        assertTrue(Files.size(png) > 1000);
        assertTrue(out.toString().contains("median µs"), out.toString());
        assertTrue(out.toString().contains("regions (last cell; per cell in the JSON):\n  rank 0: node 0 wanted, "),
                out.toString());
    }

    @Test
    void badFlagsExitWithUsageErrors() {
        assertEquals(2, tp("bench", "allreduce", "--shards", "2", "--sizes", "lots"));
        assertTrue(err.toString().contains("error: --sizes expects sizes like 4KiB,64MiB: lots"), err.toString());
        assertEquals(2, tp("bench", "allreduce", "--shards", "2", "--algorithms", "fastest"));
        assertTrue(err.toString().contains("--algorithms must be one of"), err.toString());
        assertEquals(2, tp("bench", "allreduce", "--shards", "2", "--sizes", "0"));
        assertTrue(err.toString().contains("error: --sizes must be positive: 0"), err.toString());
        assertEquals(2, tp("bench", "allreduce", "--shards", "0"));
        assertEquals(2, tp("bench", "allreduce", "--shards", "2", "--numa-nodes", "zero"));
    }

    @Test
    @Timeout(120)
    void aCapturedTopologyPlacesRanksOnItsNodesUnpinnedWithOneWarning() throws Exception {
        String name = "32em64t-2n8c+dax+nvme+mic+dimms";
        var expected = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                numatp.topology.SharedCaptures.sharedTopologies().resolve(name).resolve("expected.json").toFile());
        Path root = numatp.topology.SharedCaptures.root(name, expected.get("fsroot").asText());
        int code = tp("bench", "allreduce", "--shards", "2", "--numa-nodes", "0,1", "--sizes", "1KiB",
                "--algorithms", "oneshot", "--iterations", "3", "--topology-root", root.toString());
        assertEquals(0, code, err.toString());
        assertEquals(1, err.toString().lines().filter(l -> l.startsWith("warning: --topology-root")).count(),
                err.toString());
        assertTrue(out.toString().contains("rank nodes: [0, 1], rank CPUs: unpinned"), out.toString());
    }

    @Test
    void aTopologyRootThatIsNotACaptureIsAUsageError() {
        int code = tp("bench", "allreduce", "--shards", "1", "--sizes", "1KiB", "--algorithms", "oneshot",
                "--iterations", "3", "--topology-root", dir.toString());
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("--topology-root"), err.toString());
    }
}
