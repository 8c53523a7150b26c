package numatp.topology.pinning;

import numatp.topology.Cpu;
import numatp.topology.IdSet;
import numatp.topology.TopologyException;
import numatp.topology.TopologyView;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Orders a node's usable CPUs for a {@link PinningPolicy}; taking a prefix of the order
 * gives the CPUs for k threads, and consecutive blocks of it give disjoint CPU sets to
 * the shards of one node. A pure function of the topology.
 *
 * <p>Both orders put every core's first hardware thread before any second thread, so
 * SMT siblings are used last. SCATTER then deals cores round-robin over L3 groups;
 * COMPACT takes the cores of one L3 group, in order, before the next group.
 */
public final class CpuOrder {
    private CpuOrder() {
    }

    /** The CPUs of {@code cpus} (all from {@code view}), ordered for {@code policy}. */
    public static int[] order(TopologyView view, IdSet cpus, PinningPolicy policy) {
        List<List<List<Cpu>>> groups = groupByCacheAndCore(view, cpus);
        List<Integer> order = new ArrayList<>(cpus.size());
        int maxThreads = 0;
        for (List<List<Cpu>> cores : groups) {
            for (List<Cpu> threads : cores) {
                maxThreads = Math.max(maxThreads, threads.size());
            }
        }
        for (int thread = 0; thread < maxThreads; thread++) {
            if (policy == PinningPolicy.COMPACT) {
                for (List<List<Cpu>> cores : groups) {
                    for (List<Cpu> threads : cores) {
                        if (thread < threads.size()) {
                            order.add(threads.get(thread).id());
                        }
                    }
                }
            } else {
                int maxCores = groups.stream().mapToInt(List::size).max().orElse(0);
                for (int core = 0; core < maxCores; core++) {
                    for (List<List<Cpu>> cores : groups) {
                        if (core < cores.size() && thread < cores.get(core).size()) {
                            order.add(cores.get(core).get(thread).id());
                        }
                    }
                }
            }
        }
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The first {@code count} CPUs of the order: where k threads should go. */
    public static IdSet pick(TopologyView view, IdSet cpus, PinningPolicy policy, int count) {
        int[] order = order(view, cpus, policy);
        if (count < 0 || count > order.length) {
            throw new TopologyException("cannot pick " + count + " CPUs from " + cpus.toListString()
                    + " (" + order.length + " usable)");
        }
        int[] chosen = new int[count];
        System.arraycopy(order, 0, chosen, 0, count);
        return IdSet.of(chosen);
    }

    /** Number of physical cores among {@code cpus}. */
    public static int coreCount(TopologyView view, IdSet cpus) {
        return groupByCacheAndCore(view, cpus).stream().mapToInt(List::size).sum();
    }

    /** L3 group → cores (ascending by lowest CPU) → hardware threads (ascending id). */
    private static List<List<List<Cpu>>> groupByCacheAndCore(TopologyView view, IdSet cpus) {
        Map<Integer, Map<Integer, List<Cpu>>> byCache = new TreeMap<>();
        for (Cpu cpu : view.cpus()) {
            if (!cpus.contains(cpu.id())) {
                continue;
            }
            int cache = cpu.l3Group() >= 0 ? cpu.l3Group() : Integer.MAX_VALUE;
            int core = cpu.core() >= 0 ? cpu.core() : -1 - cpu.id();
            byCache.computeIfAbsent(cache, k -> new TreeMap<>())
                    .computeIfAbsent(core, k -> new ArrayList<>())
                    .add(cpu);
        }
        List<List<List<Cpu>>> groups = new ArrayList<>();
        for (Map<Integer, List<Cpu>> cores : byCache.values()) {
            List<List<Cpu>> list = new ArrayList<>(cores.values());
            for (List<Cpu> threads : list) {
                threads.sort(Comparator.comparingInt(Cpu::id));
            }
            list.sort(Comparator.comparingInt(threads -> threads.get(0).id()));
            groups.add(list);
        }
        groups.sort(Comparator.comparingInt(cores -> cores.get(0).get(0).id()));
        return groups;
    }
}
