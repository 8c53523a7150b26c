package numatp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tp topology --json} on this machine agrees with {@code /sys} and {@code lscpu}. */
@Timeout(60)
class TopologyLiveMachineTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void agreesWithSysfsAndLscpu() throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/sys/devices/system/cpu")), "needs Linux sysfs");
        TopologyCommandTest.Run run = TopologyCommandTest.tp("topology", "--json", "--complete");
        assertEquals(0, run.code(), run.err());
        JsonNode json = JSON.readTree(run.out());
        String online = Files.readString(Path.of("/sys/devices/system/cpu/online")).trim();
        int onlineCount = numatp.topology.IdSet.parseList(online, "online").size();
        assertEquals(onlineCount, json.get("pus").asInt(), "pus vs /sys/devices/system/cpu/online " + online);

        Process lscpu;
        try {
            lscpu = new ProcessBuilder("lscpu", "-p=CPU,CORE,SOCKET,NODE").redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("lscpu is not installed");
            return;
        }
        String text = new String(lscpu.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(lscpu.waitFor(30, TimeUnit.SECONDS));
        Set<String> cores = new HashSet<>();
        Set<String> sockets = new HashSet<>();
        Set<String> nodes = new HashSet<>();
        int cpus = 0;
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(",", -1);
            int id = Integer.parseInt(f[0]);
            cpus++;
            cores.add(f[2] + "/" + f[1]);
            sockets.add(f[2]);
            JsonNode cpu = findCpu(json, id);
            assertTrue(cpu.get("online").asBoolean(), "cpu" + id + " online");
            if (!f[3].isEmpty()) {
                nodes.add(f[3]);
                assertEquals(Integer.parseInt(f[3]), cpu.get("node").asInt(), "node of cpu" + id);
            }
        }
        assertEquals(cpus, json.get("pus").asInt(), "pus vs lscpu");
        assertEquals(cores.size(), json.get("cores").asInt(), "cores vs lscpu");
        assertEquals(sockets.size(), json.get("packages").asInt(), "packages vs lscpu");
        if (!nodes.isEmpty()) {
            assertEquals(nodes.size(), json.get("nodes").size(), "nodes vs lscpu");
        }
        long memTotal = 0;
        for (JsonNode node : json.get("nodes")) {
            memTotal += node.get("memTotalBytes").asLong();
        }
        assertTrue(memTotal > 0, "some memory");
    }

    private static JsonNode findCpu(JsonNode json, int id) {
        for (JsonNode cpu : json.get("cpus")) {
            if (cpu.get("id").asInt() == id) {
                return cpu;
            }
        }
        throw new AssertionError("cpu" + id + " missing from tp topology --json");
    }
}
