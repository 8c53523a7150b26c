package numatp.topology.sysfs;

import numatp.topology.IdSet;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns per-CPU sibling masks (core_cpus, package_cpus, die_cpus) into groups. Masks
 * are trusted when they form a partition: each CPU's mask contains it and every CPU in
 * a mask reports the same mask. Otherwise the kernel gave conflicting information; the
 * caller's fallback key (e.g. physical_package_id) groups the CPUs if it has one for
 * every CPU, else overlapping masks are merged.
 */
final class CpuGroups {
    private CpuGroups() {
    }

    /** @return true when the masks form a partition of {@code cpus} */
    static boolean consistent(IdSet cpus, Map<Integer, IdSet> masks) {
        for (int cpu : cpus.toArray()) {
            IdSet mask = masks.get(cpu);
            if (mask == null || !mask.contains(cpu)) {
                return false;
            }
            for (int other : mask.toArray()) {
                if (!mask.equals(masks.get(other))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Groups by equal fallback key; every CPU must have one. */
    static Map<Integer, IdSet> byKey(IdSet cpus, Map<Integer, Long> keys) {
        Map<Long, IdSet> groups = new TreeMap<>();
        for (int cpu : cpus.toArray()) {
            groups.merge(keys.get(cpu), IdSet.of(cpu), IdSet::union);
        }
        Map<Integer, IdSet> result = new HashMap<>();
        for (IdSet group : groups.values()) {
            for (int cpu : group.toArray()) {
                result.put(cpu, group);
            }
        }
        return result;
    }

    /** Union of overlapping masks (restricted to {@code cpus}), each CPU with at least itself. */
    static Map<Integer, IdSet> merged(IdSet cpus, Map<Integer, IdSet> masks) {
        int[] ids = cpus.toArray();
        Map<Integer, Integer> parent = new HashMap<>();
        for (int cpu : ids) {
            parent.put(cpu, cpu);
        }
        for (int cpu : ids) {
            IdSet mask = masks.getOrDefault(cpu, IdSet.of(cpu)).intersect(cpus);
            for (int other : mask.toArray()) {
                union(parent, cpu, other);
            }
        }
        Map<Integer, IdSet> byRoot = new HashMap<>();
        for (int cpu : ids) {
            byRoot.merge(find(parent, cpu), IdSet.of(cpu), IdSet::union);
        }
        Map<Integer, IdSet> result = new HashMap<>();
        for (int cpu : ids) {
            result.put(cpu, byRoot.get(find(parent, cpu)));
        }
        return result;
    }

    /** Logical numbers for groups, in the order of each group's lowest CPU. */
    static Map<Integer, Integer> number(Map<Integer, IdSet> groupOf) {
        Map<Integer, Integer> firstToIndex = new TreeMap<>();
        for (IdSet group : groupOf.values()) {
            firstToIndex.put(group.first(), 0);
        }
        int next = 0;
        for (Map.Entry<Integer, Integer> e : firstToIndex.entrySet()) {
            e.setValue(next++);
        }
        Map<Integer, Integer> result = new HashMap<>();
        for (Map.Entry<Integer, IdSet> e : groupOf.entrySet()) {
            result.put(e.getKey(), firstToIndex.get(e.getValue().first()));
        }
        return result;
    }

    private static int find(Map<Integer, Integer> parent, int x) {
        int root = x;
        while (parent.get(root) != root) {
            root = parent.get(root);
        }
        parent.put(x, root);
        return root;
    }

    private static void union(Map<Integer, Integer> parent, int a, int b) {
        if (!parent.containsKey(b)) {
            return;
        }
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) {
            parent.put(Math.max(ra, rb), Math.min(ra, rb));
        }
    }
}
