package numatp.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static numatp.cli.PlanCommandTest.tp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flags several commands share (mixins, converters) behave the same in every command: a
 * bad value is one {@code error:} line naming the flag, then the help hint, exit 2, and no
 * command loads or runs anything first.
 */
class SharedOptionsTest {
    /** A value picocli's converter rejected: the error line, then the hint to the command's help. */
    private static void assertParseError(String expectedStart, String... args) {
        List<String> lines = assertUsageError(expectedStart, args);
        assertTrue(lines.size() == 2 && lines.get(1).startsWith("(run 'tp "), String.join("\n", lines));
    }

    /** Exit 2, the first stderr line starts {@code error: expectedStart}, no stack trace, nothing on stdout. */
    private static List<String> assertUsageError(String expectedStart, String... args) {
        PlanCommandTest.Result r = tp(args);
        String command = String.join(" ", args);
        assertEquals(TpMain.EXIT_USAGE, r.code(), command + ": " + r.err());
        List<String> lines = r.err().lines().toList();
        assertTrue(lines.getFirst().startsWith("error: " + expectedStart), command + ": " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertEquals("", r.out(), command);
        return lines;
    }

    @Test
    void badSizesNameTheFlagInEveryCommand() {
        assertParseError("--model-bytes expects a size like 4096, 64KiB, 256MiB or 14GiB: 'lots'",
                "plan", "--model-bytes", "lots");
        assertParseError("--max-request-bytes expects a size like", "serve", "--max-request-bytes", "1XB");
        assertParseError("--size expects sizes like 4KiB,64MiB: 12 parsecs", "numa-check", "--node", "0", "--size",
                "12 parsecs");
        assertParseError("--size must be positive: 0", "numa-check", "--node", "0", "--size", "0");
        assertParseError("--slot-bytes expects sizes like 4KiB,64MiB: big", "bench", "allreduce", "--shards", "2",
                "--slot-bytes", "big");
        assertParseError("--sizes must be positive: 0", "bench", "allreduce", "--shards", "2", "--sizes", "1KiB,0");
    }

    @Test
    void badNodeSetsNameTheFlagInEveryCommand() {
        for (String[] command : new String[][] {{"plan"}, {"generate", "--model", "m.bin"}, {"serve"},
                {"bench", "generate", "--synthetic"}, {"bench", "allreduce", "--shards", "2"}}) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(command),
                    java.util.stream.Stream.of("--numa-nodes", "zero")).toArray(String[]::new);
            assertParseError("--numa-nodes: malformed id list 'zero'", args);
        }
        assertParseError("--numa-nodes: malformed id list '0,,1': empty element", "plan", "--numa-nodes", "0,,1");
    }

    @Test
    void badIdleStrategiesNameTheFlag() {
        assertParseError("--idle-strategy must be auto, backoff or busy-spin: 'sleepy'", "plan", "--idle-strategy",
                "sleepy");
        assertParseError("--idle-strategy must be auto, backoff or busy-spin: 'nap'", "bench", "allreduce",
                "--shards", "2", "--idle-strategy", "nap");
        assertParseError("--idle must be auto, busy-spin or backoff:SPINS:YIELDS:MIN_PARK_NS:MAX_PARK_NS: backoff:1:2",
                "bench", "allreduce", "--shards", "2", "--idle", "backoff:1:2");
    }

    @Test
    void samplingIsCheckedOnceForGenerateAndBenchGenerateBeforeAnythingLoads() {
        assertUsageError("--temperature must be >= 0: -3.0", "bench", "generate", "--synthetic", "--temperature", "-3");
        assertUsageError("--temperature must be >= 0: -3.0", "generate", "--model", "missing.bin", "--temperature", "-3");
        assertUsageError("--top-p must be in [0, 1]: 1.7", "generate", "--model", "missing.bin", "--top-p", "1.7");
        assertUsageError("--top-p must be in [0, 1]: 1.7", "bench", "generate", "--synthetic", "--top-p", "1.7");
        assertUsageError("--top-k must be >= 0: -1", "bench", "generate", "--synthetic", "--top-k", "-1");
    }

    @Test
    void benchAllReduceTakesTheSharedConfigurationFlags() {
        PlanCommandTest.Result help = tp("bench", "allreduce", "--help");
        assertEquals(0, help.code(), help.err());
        for (String flag : new String[] {"--config", "--shards", "--numa-nodes", "--numa-inter-node-penalty",
                "--numa-prefer-local-memory", "--node-affinity", "--pinning", "--threads-per-shard", "--idle-strategy",
                "--collective-algorithm", "--collective-timeout-ms", "--topology-root", "--output-file"}) {
            assertTrue(help.out().contains(flag), flag + " in\n" + help.out());
        }
        assertTrue(help.out().contains("--idle=SPEC"), help.out());
        assertUsageError("--numa-inter-node-penalty must be in [0, 1]: 1.7", "bench", "allreduce", "--shards", "2",
                "--numa-inter-node-penalty", "1.7");
        assertParseError("--node-affinity expects shard:node pairs like 0:0,1:1; '1' in '0:0,1' is not one", "bench",
                "allreduce", "--shards", "2", "--node-affinity", "0:0,1");
        assertParseError("--node-affinity names shard 0 twice: '0:0,0:1'", "plan", "--node-affinity", "0:0,0:1");
    }

    @Test
    void commandsThatNeedAModelStillSayItIsMissing() {
        PlanCommandTest.Result r = tp("generate", "--prompt", "hi");
        assertEquals(TpMain.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().startsWith("error: Missing required option: '--model=FILE'"), r.err());
        PlanCommandTest.Result help = tp("generate", "--help");
        assertTrue(help.out().contains("--model=FILE"), help.out());
        assertTrue(help.out().contains("--temperature=T") && help.out().contains("(default: 1.0)"), help.out());
        PlanCommandTest.Result bench = tp("bench", "generate", "--help");
        assertTrue(bench.out().contains("0 = greedy (default: 0.0)"), bench.out());
    }
}
