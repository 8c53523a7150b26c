package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static numatp.cli.PlanCommandTest.tp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchGenerateCommandTest {
    static Path stories() {
        return GenerateCommandTest.models().resolve("stories260K.bin");
    }

    @Test
    @Timeout(120)
    void measuresStoriesOnTwoShardsAndWritesEveryRunAsJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out/generate.json");
        PlanCommandTest.Result r = tp("bench", "generate", "--model", stories().toString(), "--shards", "2",
                "--runs", "3", "--warmup", "1", "--steps", "48", "--output-file", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("shards 2; prompt 16 tok: median "), r.out());
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        assertEquals(2, doc.at("/config/shards").asInt());
        assertEquals(stories().toString(), doc.at("/config/model").asText());
        assertEquals("all", doc.at("/config/numaNodes").asText());
        assertEquals("threads", doc.at("/config/workers").asText());
        assertEquals(16, doc.at("/results/promptTokens").asInt());
        assertEquals(32, doc.at("/results/decodeTokens").asInt());
        JsonNode decode = doc.at("/results/decodeTokPerS");
        assertEquals(3, decode.get("runs").size(), decode.toString());
        assertTrue(decode.get("median").asDouble() > 0, decode.toString());
        assertTrue(doc.at("/results/placement").asText().startsWith("weights "), doc.toString());
        assertTrue(doc.at("/machine/cpus").asInt() > 0, doc.toString());
    }

    @Test
    void badFlagsAreUsageErrors() {
        PlanCommandTest.Result none = tp("bench", "generate", "--runs", "1");
        assertEquals(TpMain.EXIT_USAGE, none.code());
        assertTrue(none.err().contains("give exactly one of --model FILE and --synthetic"), none.err());
        PlanCommandTest.Result runs = tp("bench", "generate", "--model", stories().toString(), "--runs", "0");
        assertEquals(TpMain.EXIT_USAGE, runs.code());
        assertTrue(runs.err().contains("--runs >= 1"), runs.err());
    }
}
