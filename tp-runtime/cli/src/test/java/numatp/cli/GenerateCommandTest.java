package numatp.cli;

import numatp.topology.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tp generate} prints llama2.c run.c's stdout byte for byte, for every shard count. */
class GenerateCommandTest {
    static Path models() {
        return SharedData.require("models");
    }

    record Result(int code, String out, String err) {
    }

    static Result tp(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TpMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    @ParameterizedTest(name = "--shards {0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    @Timeout(60)
    void greedyStories260KPrintsRunCOutputExactly(int shards) throws Exception {
        Result r = tp("generate", "--model", models().resolve("stories260K.bin").toString(),
                "--tokenizer", models().resolve("tok512.bin").toString(),
                "--temperature", "0", "--steps", "200", "--shards", String.valueOf(shards), "--warmup-seconds", "0.2");
        assertEquals(0, r.code(), r.err());
        // the warm-up's throw-away steps leave no trace in what is generated after them
        assertEquals(Files.readString(models().resolve("stories260K_t0_n200.expected.txt")), r.out());
        assertTrue(r.err().contains("decode 199 tok at") && r.err().contains("; warm-up 0."), r.err());
    }

    @ParameterizedTest(name = "--shards {0} --reduction exact")
    @ValueSource(ints = {1, 3, 8})
    @Timeout(60)
    void exactReductionPrintsRunCOutputOnEveryShardCount(int shards) throws Exception {
        Result r = tp("generate", "--model", models().resolve("stories260K.bin").toString(),
                "--tokenizer", models().resolve("tok512.bin").toString(), "--temperature", "0", "--steps", "200",
                "--shards", String.valueOf(shards), "--reduction", "exact", "--warmup-seconds", "0");
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.readString(models().resolve("stories260K_t0_n200.expected.txt")), r.out());
    }

    @Test
    @Timeout(120)
    void eightShardsPlannedOverTwoNodesOfACapturedMachineRunEndToEndUnpinned() throws Exception {
        // a 2-node, 16-core Intel capture; this machine has one node and two cores
        String name = "32em64t-2n8c+dax+nvme+mic+dimms";
        var expected = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                numatp.topology.SharedCaptures.sharedTopologies().resolve(name).resolve("expected.json").toFile());
        Path root = numatp.topology.SharedCaptures.root(name, expected.get("fsroot").asText());
        Result r = tp("generate", "--model", models().resolve("stories260K.bin").toString(),
                "--tokenizer", models().resolve("tok512.bin").toString(), "--temperature", "0", "--steps", "200",
                "--shards", "8", "--numa-nodes", "0,1", "--topology-root", root.toString(), "--warmup-seconds", "0");
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.readString(models().resolve("stories260K_t0_n200.expected.txt")), r.out());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("warning: --topology-root")).count(), r.err());
        assertTrue(r.err().contains("skipped; node 0: shards 0-3; node 1: shards 4-7"), r.err());
    }

    @Test
    @Timeout(120)
    void twoWorkerProcessesPrintRunCOutputExactlyAndReportTheirPids() throws Exception {
        Result r = tp("generate", "--model", models().resolve("stories260K.bin").toString(),
                "--tokenizer", models().resolve("tok512.bin").toString(), "--temperature", "0", "--steps", "200",
                "--shards", "2", "--workers", "processes", "--workers-per-node", "2", "--warmup-seconds", "0.2");
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.readString(models().resolve("stories260K_t0_n200.expected.txt")), r.out());
        assertTrue(r.err().contains("workers: 2 processes (pids "), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("worker 1 (node 0, shards [1], pid ")), r.err());
    }

    @Test
    @Timeout(120)
    void oneWorkerProcessPerNodeOfACapturedTwoNodeMachineRunsUnpinned() throws Exception {
        String name = "32em64t-2n8c+dax+nvme+mic+dimms";
        var expected = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                numatp.topology.SharedCaptures.sharedTopologies().resolve(name).resolve("expected.json").toFile());
        Path root = numatp.topology.SharedCaptures.root(name, expected.get("fsroot").asText());
        Result r = tp("generate", "--model", models().resolve("stories260K.bin").toString(),
                "--tokenizer", models().resolve("tok512.bin").toString(), "--temperature", "0", "--steps", "200",
                "--shards", "4", "--numa-nodes", "0,1", "--topology-root", root.toString(), "--warmup-seconds", "0",
                "--workers", "processes");
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.readString(models().resolve("stories260K_t0_n200.expected.txt")), r.out());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("worker 0 (node 0, shards [0, 1], pid ")), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("worker 1 (node 1, shards [2, 3], pid ")), r.err());
        assertTrue(r.err().contains("workers: 2 processes (pids "), r.err());
    }

    @Test
    @Timeout(60)
    void promptIsPrintedThenContinued() {
        Result r = tp("generate", "--model", models().resolve("stories260K.bin").toString(),
                "--tokenizer", models().resolve("tok512.bin").toString(), "--prompt", "Once upon a time",
                "--temperature", "0", "--steps", "30", "--warmup-seconds", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Once upon a time, there was a little girl named Lily."), r.out());
    }

    @Test
    void tooManyShardsIsAUsageError() {
        Result r = tp("generate", "--model", models().resolve("stories260K.bin").toString(),
                "--tokenizer", models().resolve("tok512.bin").toString(), "--shards", "9");
        assertEquals(TpMain.EXIT_USAGE, r.code());
        assertTrue(r.err().startsWith("error: --shards must be in [1, 8]"), r.err());
    }

    @Test
    void missingModelIsAOneLineError() {
        Result r = tp("generate", "--model", "/nonexistent/model.bin");
        assertEquals(TpMain.EXIT_FAILURE, r.code());
        assertEquals("error: /nonexistent/model.bin: no such file\n", r.err());
    }
}
