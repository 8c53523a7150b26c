package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tp numa-check} on this machine for real: node 0 exists here, node 1 does not. */
@Timeout(60)
class NumaCheckCommandTest {
    @Test
    void bindsThreadsAndMemoryToNodeZeroAndReportsAMatch() throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        PlanCommandTest.Result r = PlanCommandTest.tp("numa-check", "--node", "0", "--size", "8MiB",
                "--threads", String.valueOf(Math.min(2, cpus)), "--json");
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode report = new ObjectMapper().readTree(r.out());
        assertTrue(report.get("match").asBoolean());
        for (JsonNode thread : report.get("threads")) {
            assertEquals(0, thread.get("observedNode").asInt());
            assertEquals(thread.get("pinnedCpu").asInt(), thread.get("observedCpu").asInt());
            assertEquals(String.valueOf(thread.get("pinnedCpu").asInt()), thread.get("affinity").asText());
        }
        assertEquals(8 << 20, report.get("memory").get("bytesByNode").get("0").asLong());
        assertTrue(report.get("system").size() >= 4);
    }

    @Test
    void aNodeThatDoesNotExistIsRefusedWithExitTwo() {
        PlanCommandTest.Result r = PlanCommandTest.tp("numa-check", "--node", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: --node 1: no such node (online nodes: 0"), r.err());
    }

    @Test
    void badArgumentsExitTwo() {
        assertEquals(2, PlanCommandTest.tp("numa-check", "--node", "0", "--size", "huge").code());
        assertEquals(2, PlanCommandTest.tp("numa-check", "--node", "0", "--policy", "sideways").code());
        PlanCommandTest.Result tooMany = PlanCommandTest.tp("numa-check", "--node", "0", "--threads", "4096");
        assertEquals(2, tooMany.code());
        assertTrue(tooMany.err().contains("usable CPUs"), tooMany.err());
    }
}
