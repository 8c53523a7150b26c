package numatp.runtime.process;

import numatp.models.tp.Reduction;
import numatp.runtime.config.CollectiveAlgorithmKind;
import numatp.runtime.config.ConfigException;
import numatp.runtime.config.IdleStrategyKind;
import numatp.topology.IdSet;
import numatp.topology.binding.BindMode;
import numatp.topology.binding.ShardBinding;
import numatp.topology.linux.MemPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The worker's command line: what the coordinator writes, the worker reads back; bad values name the flag. */
@Timeout(10)
class WorkerArgsTest {
    static WorkerArgs sample() {
        return new WorkerArgs(Path.of("/m/model.gguf"), "g42-abcdef12", Path.of("/dev/shm/numatp-g42-abcdef12-step"),
                1, 2, new int[] {0, 0, 1, 1},
                List.of(new ShardBinding(2, 1, IdSet.parseList("4-5,8", "test"), 3, true),
                        new ShardBinding(3, 1, IdSet.empty(), 1, false)),
                4, 256, 260, 30000, CollectiveAlgorithmKind.RING, IdleStrategyKind.BUSY_SPIN, BindMode.SIMULATED,
                MemPolicy.PREFERRED, Reduction.EXACT);
    }

    @Test
    void argumentsRoundTrip() {
        WorkerArgs a = sample();
        WorkerArgs b = WorkerArgs.parse(a.toArgs());
        assertEquals(a.model(), b.model());
        assertEquals(a.name(), b.name());
        assertEquals(a.stepFile(), b.stepFile());
        assertEquals(a.worker(), b.worker());
        assertEquals(a.workers(), b.workers());
        assertArrayEquals(a.nodeOfRank(), b.nodeOfRank());
        assertEquals(a.shards(), b.shards());
        assertArrayEquals(new int[] {2, 3}, b.ranks());
        assertEquals(List.of(a.slots(), a.slotPositions(), a.maxBatch()), List.of(b.slots(), b.slotPositions(), b.maxBatch()));
        assertEquals(a.timeoutMs(), b.timeoutMs());
        assertEquals(a.algorithm(), b.algorithm());
        assertEquals(a.idle(), b.idle());
        assertEquals(a.bindMode(), b.bindMode());
        assertEquals(a.memoryPolicy(), b.memoryPolicy());
        assertEquals(a.reduction(), b.reduction());
    }

    @Test
    void badValuesNameTheFlag() {
        List<String> args = new ArrayList<>(sample().toArgs());
        args.set(args.indexOf("--slots") + 1, "many");
        ConfigException e = assertThrows(ConfigException.class, () -> WorkerArgs.parse(args));
        assertEquals("worker: bad value for --slots: many", e.getMessage());
        ConfigException missing = assertThrows(ConfigException.class, () -> WorkerArgs.parse(List.of("--worker", "0")));
        assertTrue(missing.getMessage().startsWith("worker: needs --model"), missing.getMessage());
        ConfigException rank = assertThrows(ConfigException.class, () -> WorkerArgs.parse(List.of("--model", "m",
                "--name", "n", "--step-file", "s", "--worker", "0", "--workers", "1", "--nodes", "0",
                "--shard", "1/0//1/false", "--slots", "1", "--positions", "8", "--max-batch", "8", "--timeout-ms", "9")));
        assertEquals("worker: --shard 1 is not a rank of --nodes 1", rank.getMessage());
    }
}
