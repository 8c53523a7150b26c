package numatp.runtime.numavm;

import numatp.models.ModelFiles;
import numatp.models.tp.SequenceGeneration;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.engine.TpRuntime;
import numatp.topology.SharedData;
import numatp.topology.TopologyDetector;
import numatp.topology.numavm.NumaVm;
import numatp.weights.ModelTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In a real 2-node kernel (QEMU, 1 CPU and 512 MiB per node), the process layout on stories260K
 * with 2 shards over nodes 0 and 1: two worker processes, each launched bound to its node, born
 * on that node's CPU (getcpu from inside the worker), its shard thread a match, and its weights
 * and KV cache 100% on its node (move_pages), all read from the start-up report; the greedy
 * tokens are the thread engine's.
 */
@Tag("numa-vm")
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class NumaVmProcessWorkersTest {
    private static final Pattern WORKER = Pattern.compile("^worker (\\d) \\(node (\\d), shards \\[(\\d)\\], pid \\d+\\):"
            + " launched bound to node (\\d) CPUs (\\d+)");
    private static NumaVm.Result result;
    private static Map<String, String> probe;

    @BeforeAll
    static void bootGuestOnce() throws Exception {
        NumaVm.assumeAvailable();
        Path model = SharedData.require("models", "stories260K.bin");
        result = NumaVm.runMain(List.of("-n", "2", "-c", "1", "-m", "512"), ProcessWorkersProbe.class,
                List.of(numatp.runtime.process.ProcessRuntime.class, numatp.topology.Topology.class,
                        numatp.collectives.team.ShardGroup.class, numatp.models.tp.Reduction.class,
                        numatp.weights.ModelTensors.class,
                        com.fasterxml.jackson.databind.ObjectMapper.class, com.fasterxml.jackson.core.JsonParser.class,
                        com.fasterxml.jackson.annotation.JsonProperty.class),
                // The workers as the probe's JVM: C1 only and serial GC compile and start faster under emulation.
                "--add-modules jdk.incubator.vector '-Dnumatp.worker.jvmOptions=-XX:TieredStopAtLevel=1"
                        + " -XX:+UseSerialGC -Xshare:auto'", List.of(model.toString()), 330);
        System.out.println(result.output());
        probe = result.probe();
    }

    @Test
    void guestRanTheProbeToTheEnd() {
        result.assertRanToTheEnd();
    }

    @Test
    void eachWorkerIsBornBoundToItsNodeWithItsShardAndMemoryLocal() {
        result.assertRanToTheEnd();
        List<String> report = new ArrayList<>();
        for (int i = 0; probe.containsKey("report" + i); i++) {
            report.add(probe.get("report" + i));
        }
        String all = String.join("\n", report);
        int workers = 0;
        for (String line : report) {
            Matcher m = WORKER.matcher(line);
            if (!m.find()) {
                continue;
            }
            workers++;
            String w = m.group(1);
            String node = m.group(2);
            assertEquals(w, node, "worker " + w + " on node " + w + " (one shard per node)\n" + all);
            assertEquals(node, m.group(4), "launched bound to its node\n" + all);
            assertEquals(probe.get("shard" + m.group(3) + ".planned"), node + ":" + m.group(5),
                    "bound to its shard's planned CPU\n" + all);
            assertTrue(all.contains("worker " + w + " (pid ") && all.contains("getcpu: CPU " + m.group(5) + ", node "
                    + node + ";"), "born on its node's CPU\n" + all);
            assertTrue(all.contains("shard " + m.group(3) + " thread 0: node " + node + " CPU " + m.group(5)
                    + " -> match"), "its shard thread matches\n" + all);
            assertTrue(Pattern.compile("shard " + m.group(3) + " on node " + node + ": weights [0-9.]+ MiB 100\\.0% local,"
                    + " KV [0-9.]+ MiB 100\\.0% local -> match").matcher(all).find(), "memory local\n" + all);
        }
        assertEquals(2, workers, all);
    }

    @Test
    void greedyTokensAreTheThreadEnginesOnThisMachine() {
        result.assertRanToTheEnd();
        Path file = SharedData.require("models", "stories260K.bin");
        TpEngine.Capacity capacity = TpEngine.Capacity.singleSequence(32);
        List<Integer> ids = new ArrayList<>();
        try (ModelTensors model = ModelFiles.open(file);
             TpRuntime threads = TpRuntime.start(model, TpRuntime.plan(model, NumaTensorParallelConfig.builder()
                     .shards(2).build(), TopologyDetector.detect(), capacity), false, capacity,
                     UnaryOperator.identity(), line -> { })) {
            SequenceGeneration.generate(threads.engine(), new int[] {1}, 8, TpEngine.Sampling.greedy(),
                    (prev, next) -> ids.add(next), id -> false);
        }
        assertEquals(ids.toString(), probe.get("tokens"), result.output());
    }
}
