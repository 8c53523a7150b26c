package numatp.runtime.plan;

import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.Cpu;
import numatp.topology.Distances;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.SharedCaptures;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/** Topologies for planner tests: the shared hwloc captures, and seeded synthetic machines. */
final class TestTopologies {
    private static final Map<String, Topology> CAPTURES = new ConcurrentHashMap<>();
    static final long GIB = 1L << 30;

    private TestTopologies() {
    }

    static List<String> captureNames() {
        return SharedCaptures.names();
    }

    static Topology capture(String name) {
        return CAPTURES.computeIfAbsent(name, n -> {
            try {
                var expected = new ObjectMapper().readTree(
                        SharedCaptures.sharedTopologies().resolve(n).resolve("expected.json").toFile());
                return TopologyDetector.detect(SharedCaptures.root(n, expected.get("fsroot").asText()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * A machine with the given cores per node (SMT 2 when {@code smt}), node ids
     * {@code ids}, free memory per node and SLIT matrix; every CPU allowed.
     */
    static Topology synthetic(int[] ids, int[] coresPerNode, boolean smt, long[] memFreeBytes, int[][] slit) {
        List<NumaNode> nodes = new ArrayList<>();
        List<Cpu> cpus = new ArrayList<>();
        int nextCpu = 0;
        int nextCore = 0;
        int threads = smt ? 2 : 1;
        for (int n = 0; n < ids.length; n++) {
            int first = nextCpu;
            int cores = coresPerNode[n];
            for (int t = 0; t < threads; t++) {
                for (int c = 0; c < cores; c++) {
                    int id = nextCpu++;
                    int core = nextCore + c;
                    IdSet siblings = smt ? IdSet.of(first + c, first + cores + c) : IdSet.of(id);
                    cpus.add(new Cpu(id, ids[n], n, n, core, siblings, first, true, true));
                }
            }
            nextCore += cores;
            nodes.add(new NumaNode(ids[n], IdSet.range(first, nextCpu - 1), memFreeBytes[n] * 2, memFreeBytes[n],
                    List.of()));
        }
        IdSet all = IdSet.range(0, nextCpu - 1);
        return new Topology(true, nodes, cpus, new Distances(ids, slit), all, IdSet.of(ids), "test", List.of(), Map.of());
    }

    /** A random machine: 1..maxNodes nodes with sparse ids, 1..8 cores each, symmetric SLIT 10..40. */
    static Topology random(SplittableRandom random, int maxNodes) {
        int n = random.nextInt(1, maxNodes + 1);
        int[] ids = new int[n];
        int next = 0;
        for (int i = 0; i < n; i++) {
            next += random.nextInt(1, 4);
            ids[i] = next - 1;
        }
        int[] cores = new int[n];
        long[] free = new long[n];
        int[][] slit = new int[n][n];
        for (int i = 0; i < n; i++) {
            cores[i] = random.nextInt(1, 9);
            free[i] = random.nextLong(1, 64) * GIB;
            slit[i][i] = 10;
            for (int j = 0; j < i; j++) {
                slit[i][j] = slit[j][i] = random.nextInt(11, 41);
            }
        }
        return synthetic(ids, cores, random.nextBoolean(), free, slit);
    }
}
