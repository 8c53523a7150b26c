package numatp.topology;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property test: for seeded random machines ({@link TopologySpec}), detecting the tree
 * {@link SysfsTreeWriter} writes gives back the spec, or, for a malformed file, a
 * {@link TopologyException} naming that file. Replay a failure with its printed seed
 * through {@code -Dnumatp.topology.seed=...}.
 */
class GeneratedTreeTest {
    private static final int CASES = 200;

    @Test
    @Timeout(60)
    void detectsWhatWasWritten(@TempDir Path tmp) throws java.io.IOException {
        // Trees of ~1000 small files each: on tmpfs when there is one, for speed.
        Path shm = Path.of("/dev/shm");
        Path base = java.nio.file.Files.isWritable(shm) ? java.nio.file.Files.createTempDirectory(shm, "numatp-") : tmp;
        long master = Long.getLong("numatp.topology.seed", new SplittableRandom().nextLong());
        SplittableRandom seeds = new SplittableRandom(master);
        int faults = 0;
        for (int i = 0; i < CASES; i++) {
            long seed = seeds.nextLong();
            TopologySpec spec = TopologySpec.generate(seed);
            Path root = SysfsTreeWriter.write(spec, base.resolve("case" + i));
            try {
                if (spec.fault() != TopologySpec.Fault.NONE) {
                    faults++;
                    TopologyException e = assertThrows(TopologyException.class, () -> TopologyDetector.detect(root));
                    assertTrue(e.getMessage().contains(spec.fault().named),
                            "error must name " + spec.fault().named + ": " + e.getMessage());
                } else {
                    check(spec, TopologyDetector.detect(root));
                }
            } catch (AssertionError | RuntimeException e) {
                fail("case " + i + " failed; replay with -Dnumatp.topology.seed=" + master + " (" + spec + "): " + e, e);
            }
        }
        assertTrue(faults > 0, "the generator must produce malformed trees too");
        if (!base.equals(tmp)) {
            try (var walk = java.nio.file.Files.walk(base)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void sameSeedSameSpec() {
        assertEquals(TopologySpec.generate(42).toString(), TopologySpec.generate(42).toString());
    }

    private static void check(TopologySpec spec, Topology t) {
        assertTrue(t.numaAvailable());
        IdSet online = spec.online();
        TopologyView complete = t.complete();
        assertEquals(IdSet.of(spec.nodeIds()), complete.nodeIds(), "node ids");
        for (int i = 0; i < spec.nodeIds().length; i++) {
            NumaNode node = complete.node(spec.nodeIds()[i]);
            assertEquals(spec.cpusOfNode(node.id()).intersect(online), node.cpus(), "cpus of node " + node.id());
            assertEquals(spec.memKb()[i] * 1024, node.memTotalBytes(), "memory of node " + node.id());
            assertEquals(List.of(new HugePages(2 << 20, 3, 1)), node.hugepages(), "hugepages of node " + node.id());
        }
        assertEquals(online, complete.cpuIds(), "online cpus");
        assertEquals(distinct(spec.packageOfCpu(), online), complete.packageCount(), "packages");
        assertEquals(distinct(spec.coreOfCpu(), online), complete.coreCount(), "cores");
        for (int c : online.toArray()) {
            Cpu cpu = t.cpu(c);
            assertEquals(spec.siblingsOf(c).intersect(online), cpu.siblings(), "siblings of cpu" + c);
            assertEquals(spec.nodeOfCpu()[c], cpu.node(), "node of cpu" + c);
        }
        for (int c : spec.offline().toArray()) {
            assertTrue(!t.cpu(c).online() && !t.cpu(c).allowed(), "cpu" + c + " is offline");
        }
        Distances expected = spec.distanceFault() == TopologySpec.DistanceFault.NONE
                ? new Distances(spec.nodeIds(), spec.distances()) : Distances.uniform(spec.nodeIds());
        assertEquals(expected, t.distances(), "distances");
        assertEquals(spec.allowedCpus(), t.allowedCpus(), "allowed cpus");
        assertEquals(spec.allowedNodes(), t.allowedNodes(), "allowed nodes");
        TopologyView allowed = t.allowed();
        assertEquals(spec.allowedNodes(), allowed.nodeIds(), "allowed view nodes");
        assertEquals(spec.allowedCpus(), allowed.cpuIds(), "allowed view cpus");
        assertEquals(distinct(spec.coreOfCpu(), spec.allowedCpus()), allowed.coreCount(), "allowed cores");
        assertEquals(expected.restrictTo(spec.allowedNodes()), allowed.distances(), "allowed distances");
    }

    private static int distinct(int[] groupOfCpu, IdSet cpus) {
        List<Integer> seen = new ArrayList<>();
        for (int c : cpus.toArray()) {
            if (!seen.contains(groupOfCpu[c])) {
                seen.add(groupOfCpu[c]);
            }
        }
        return seen.size();
    }
}
