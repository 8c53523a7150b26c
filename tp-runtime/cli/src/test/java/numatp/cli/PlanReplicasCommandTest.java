package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.SharedCaptures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static numatp.cli.PlanCommandTest.tp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tp plan --replicas auto|N [--expected-concurrency C]}: the layout, each replica's plan, and bad values. */
@Timeout(120)
class PlanReplicasCommandTest {
    private static String capture(String name) throws Exception {
        JsonNode expected = new ObjectMapper().readTree(
                SharedCaptures.sharedTopologies().resolve(name).resolve("expected.json").toFile());
        return SharedCaptures.root(name, expected.get("fsroot").asText()).toString();
    }

    @Test
    void autoOnATwoNodeCaptureGivesOneReplicaPerNodeForASmallModelUnderLoad() throws Exception {
        String root = capture("32em64t-2n8c+dax+nvme+mic+dimms");
        PlanCommandTest.Result r = tp("plan", "--topology-root", root, "--replicas", "auto", "--expected-concurrency",
                "16", "--model-bytes", "64MiB", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode plan = new ObjectMapper().readTree(r.out());
        assertEquals("auto", plan.get("config").get("replicas").asText());
        assertEquals(16, plan.get("config").get("expectedConcurrency").asInt());
        JsonNode layout = plan.get("layout");
        assertEquals(2, layout.get("replicas").asInt(), r.out());
        assertEquals(1, layout.get("nodesPerReplica").asInt(), r.out());
        assertEquals(2, plan.get("replicas").size());
        assertEquals(1, plan.get("alternative").get("replicas").asInt(), "the alternative is one engine over both nodes");
        int nodeOfFirst = plan.get("replicas").get(0).get("shards").get(0).get("node").asInt();
        int nodeOfSecond = plan.get("replicas").get(1).get("shards").get(0).get("node").asInt();
        assertTrue(nodeOfFirst != nodeOfSecond, r.out());
        assertTrue(plan.get("considered").size() > 2);
        for (String key : new String[] {"replicas", "shardsPerReplica", "nodesPerReplica", "splitsNodes", "concurrency",
                "tokensPerSecond", "batchOneTokensPerSecond"}) {
            assertTrue(layout.has(key), key);
        }
        PlanCommandTest.Result text = tp("plan", "--topology-root", root, "--replicas", "auto", "--expected-concurrency",
                "16", "--model-bytes", "64MiB");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().startsWith("layout: 2 replicas x "), text.out());
        assertTrue(text.out().contains("== replica 1 ("), text.out());
        assertTrue(text.out().contains("best alternative 1 replica x "), text.out());
        assertTrue(text.out().contains("<- chosen"), text.out());
    }

    @Test
    void fixedReplicasOnThisSizeOfMachineSplitOneNodesCores(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("tp.json");
        Files.writeString(config, "{\"replicas\": 2, \"shards\": 1}");
        // a one-node machine with two cores: node 0 of a capture, as this VM looks
        String root = capture("32em64t-2n8c+dax+nvme+mic+dimms");
        PlanCommandTest.Result r = tp("plan", "--topology-root", root, "--numa-nodes", "0", "--config",
                config.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode plan = new ObjectMapper().readTree(r.out());
        assertEquals(2, plan.get("replicas").size());
        assertTrue(plan.get("layout").get("splitsNodes").asBoolean());
        JsonNode a = plan.get("replicas").get(0).get("shards").get(0).get("cpus");
        JsonNode b = plan.get("replicas").get(1).get("shards").get(0).get("cpus");
        for (JsonNode cpu : a) {
            for (JsonNode other : b) {
                assertFalse(cpu.asInt() == other.asInt(), "replicas share no CPU: " + r.out());
            }
        }
    }

    @Test
    void oneReplicaPrintsTheUsualPlan() throws Exception {
        String root = capture("16amd64-8n2c");
        PlanCommandTest.Result usual = tp("plan", "--topology-root", root, "--shards", "4");
        PlanCommandTest.Result one = tp("plan", "--topology-root", root, "--shards", "4", "--replicas", "1");
        assertEquals(0, one.code(), one.err());
        assertEquals(usual.out(), one.out());
    }

    @Test
    void badValuesGiveOneErrorLineNamingTheFlag(@TempDir Path dir) throws Exception {
        PlanCommandTest.Result word = tp("plan", "--replicas", "many");
        assertEquals(2, word.code());
        assertTrue(word.err().startsWith("error: --replicas must be auto or a number of replicas >= 1: 'many'"),
                word.err());
        PlanCommandTest.Result zero = tp("plan", "--replicas", "0");
        assertEquals(2, zero.code());
        assertTrue(zero.err().startsWith("error: --replicas must be auto or a number of replicas >= 1: 0"), zero.err());
        PlanCommandTest.Result concurrency = tp("plan", "--replicas", "auto", "--expected-concurrency", "0");
        assertEquals(2, concurrency.code());
        assertTrue(concurrency.err().startsWith("error: --expected-concurrency must be >= 1: 0"), concurrency.err());
        PlanCommandTest.Result tooMany = tp("plan", "--replicas", "3");
        assertEquals(2, tooMany.code(), tooMany.out());
        assertFalse(tooMany.err().contains("\tat "), tooMany.err());
        PlanCommandTest.Result generate = tp("bench", "generate", "--synthetic", "--replicas", "2");
        assertEquals(2, generate.code());
        assertTrue(generate.err().startsWith("error: --replicas 2: tp bench generate runs one engine"), generate.err());
        Path config = dir.resolve("bad.json");
        Files.writeString(config, "{\"replicas\": \"several\"}");
        PlanCommandTest.Result file = tp("plan", "--config", config.toString());
        assertEquals(2, file.code());
        assertTrue(file.err().startsWith("error: " + config + ": field 'replicas' must be auto or a number of replicas"),
                file.err());
        Files.writeString(config, "{\"replicas\": 1.5}");
        PlanCommandTest.Result fraction = tp("plan", "--config", config.toString());
        assertTrue(fraction.err().contains("field 'replicas' must be \"auto\" or a number of replicas >= 1, found 1.5"),
                fraction.err());
    }
}
