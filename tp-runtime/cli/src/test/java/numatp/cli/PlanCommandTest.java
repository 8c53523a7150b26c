package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.SharedCaptures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanCommandTest {
    record Result(int code, String out, String err) {
    }

    static Result tp(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TpMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    private static String capture(String name) throws Exception {
        JsonNode expected = new ObjectMapper().readTree(
                SharedCaptures.sharedTopologies().resolve(name).resolve("expected.json").toFile());
        return SharedCaptures.root(name, expected.get("fsroot").asText()).toString();
    }

    @Test
    void plansEightShardsOnTwoNodesOfACaptureAsJsonWithStableKeys() throws Exception {
        Result r = tp("plan", "--shards", "8", "--numa-nodes", "0,1", "--topology-root",
                capture("32em64t-2n8c+dax+nvme+mic+dimms"), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode plan = new ObjectMapper().readTree(r.out());
        assertEquals(8, plan.get("shards").size());
        for (String key : new String[] {"shard", "node", "cpus", "threads"}) {
            assertTrue(plan.get("shards").get(0).has(key), key);
        }
        for (String key : new String[] {"id", "shards", "memoryBudgetBytes", "memFreeBytes"}) {
            assertTrue(plan.get("nodes").get(0).has(key), key);
        }
        assertTrue(plan.has("interNodeTrafficShare"));
        assertTrue(plan.get("reasons").size() > 0);
    }

    @Test
    void writesAMarkdownReportAndReadsTheConfigFromJson(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("tp.json");
        Files.writeString(config, "{\"shards\": 4, \"numaNodes\": [0, 1], \"pinningPolicy\": \"compact\","
                + " \"reduction\": \"exact\"}");
        Path report = dir.resolve("plan.md");
        Result r = tp("plan", "--config", config.toString(), "--topology-root",
                capture("32em64t-2n8c+dax+nvme+mic+dimms"), "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("why:"), r.out());
        String markdown = Files.readString(report);
        assertTrue(markdown.startsWith("# numatp placement plan"), markdown);
        assertTrue(markdown.contains("| 3 |"), markdown);
    }

    @Test
    void severalCapturesPlanOneHostEach() throws Exception {
        String a = capture("32em64t-2n8c+dax+nvme+mic+dimms");
        String b = capture("16amd64-8n2c");
        Result r = tp("plan", "--shards", "6", "--topology-root", a + "," + b, "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode plan = new ObjectMapper().readTree(r.out());
        assertEquals(6, plan.get("shards").asInt());
        assertEquals(2, plan.get("hosts").size());
        assertEquals(0, plan.get("hosts").get(0).get("firstRank").asInt());
        int first = plan.get("hosts").get(0).get("shards").asInt();
        assertEquals(first, plan.get("hosts").get(1).get("firstRank").asInt());
        assertEquals(6, first + plan.get("hosts").get(1).get("shards").asInt());
        assertEquals(first, plan.get("hosts").get(0).get("plan").get("shards").size());
        Result text = tp("plan", "--shards", "6", "--topology-root", a + "," + b);
        assertTrue(text.out().contains("== host 1 (" + b + "): global ranks " + first + "-5"), text.out());
        Result one = tp("plan", "--shards", "1", "--topology-root", a + "," + b);
        assertEquals(2, one.code());
        assertTrue(one.err().contains("every host needs at least one shard"), one.err());
        Result generate = tp("bench", "allreduce", "--shards", "2", "--topology-root", a + "," + b);
        assertEquals(2, generate.code());
        assertTrue(generate.err().contains("only tp plan takes several"), generate.err());
    }

    @Test
    void badFlagsGiveOneErrorLineAndExitTwo() {
        Result penalty = tp("plan", "--shards", "2", "--numa-inter-node-penalty", "1.7");
        assertEquals(2, penalty.code());
        assertEquals("error: --numa-inter-node-penalty must be in [0, 1]: 1.7", penalty.err().lines().findFirst().orElseThrow());
        Result node = tp("plan", "--shards", "2", "--numa-nodes", "5");
        assertEquals(2, node.code());
        assertTrue(node.err().startsWith("error: --numa-nodes names node 5, which does not exist"), node.err());
        Result affinity = tp("plan", "--shards", "2", "--node-affinity", "0:0,1");
        assertEquals(2, affinity.code());
        assertTrue(affinity.err().startsWith("error: --node-affinity expects shard:node pairs"), affinity.err());
        Result size = tp("plan", "--model-bytes", "lots");
        assertEquals(2, size.code());
        assertTrue(size.err().startsWith("error: --model-bytes expects a size"), size.err());
    }

    @Test
    void badConfigFilesNameTheFileAndField(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("bad.json");
        Files.writeString(config, "{\"shards\": \"eight\"}");
        Result r = tp("plan", "--config", config.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: " + config + ": field 'shards' must be an integer, found \"eight\""), r.err());
        Files.writeString(config, "{\"shard\": 8}");
        Result unknown = tp("plan", "--config", config.toString());
        assertTrue(unknown.err().contains("field 'shard' is not a configuration field"), unknown.err());
        Files.writeString(config, "{\"shards\": 8");
        Result broken = tp("plan", "--config", config.toString());
        assertTrue(broken.err().contains("not valid JSON"), broken.err());
        Files.writeString(config, "{\"reduction\": \"sloppy\"}");
        Result reduction = tp("plan", "--config", config.toString());
        assertEquals(2, reduction.code());
        assertTrue(reduction.err().startsWith("error: " + config + ": field 'reduction'"), reduction.err());
        assertTrue(reduction.err().contains("sloppy"), reduction.err());
        Result flag = tp("plan", "--reduction", "sloppy");
        assertEquals(2, flag.code());
        assertTrue(flag.err().contains("--reduction") && flag.err().contains("sloppy"), flag.err());
    }

    @Test
    void oversubscribedPlanOnThisMachineStillRunsAndWarns() {
        Result r = tp("plan", "--shards", "8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("oversubscribed"), r.out());
    }
}
