package numatp.topology.bind;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Gathers the processes a group pattern selected into groups, one per serving instance
 * ({@link GroupBy}). The parent chain is walked through every process read, matching or not, so
 * a worker started through {@code sh -c} by its scheduler still joins the scheduler's group.
 * Groups come out ordered by their lowest pid, members by pid.
 */
final class ProcessGroups {
    /** A parent chain longer than this is a cycle in a broken capture: stop there. */
    private static final int MAX_DEPTH = 4096;

    private ProcessGroups() {
    }

    static List<List<ProcessEntry>> of(List<ProcessEntry> selected, List<ProcessEntry> all, GroupBy how) {
        if (how == GroupBy.PROCESS) {
            return selected.stream().sorted(Comparator.comparingInt(ProcessEntry::pid)).map(List::of).toList();
        }
        Map<Integer, Integer> parentOf = new HashMap<>();
        for (ProcessEntry p : all) {
            parentOf.put(p.pid(), p.ppid());
        }
        for (ProcessEntry p : selected) {
            parentOf.put(p.pid(), p.ppid());
        }
        Set<Integer> chosen = new HashSet<>();
        selected.forEach(p -> chosen.add(p.pid()));
        Map<Integer, Integer> leaderOf = new HashMap<>();
        for (ProcessEntry p : selected) {
            int leader = p.pid();
            Integer up = parentOf.get(p.pid());
            for (int depth = 0; up != null && up > 0 && depth < MAX_DEPTH; depth++) {
                if (chosen.contains(up)) {
                    leader = up;
                }
                up = parentOf.get(up);
            }
            leaderOf.put(p.pid(), leader);
        }
        if (how == GroupBy.PARENT) {
            Map<Integer, Integer> firstLeaderByParent = new HashMap<>();
            for (int leader : new TreeMap<>(invert(leaderOf)).keySet()) {
                int parent = parentOf.getOrDefault(leader, 0);
                if (parent > 1) {
                    int merged = firstLeaderByParent.computeIfAbsent(parent, k -> leader);
                    leaderOf.replaceAll((pid, l) -> l == leader ? merged : l);
                }
            }
        }
        Map<Integer, List<ProcessEntry>> groups = new TreeMap<>();
        for (ProcessEntry p : selected) {
            groups.computeIfAbsent(leaderOf.get(p.pid()), k -> new ArrayList<>()).add(p);
        }
        List<List<ProcessEntry>> out = new ArrayList<>();
        for (List<ProcessEntry> g : groups.values()) {
            g.sort(Comparator.comparingInt(ProcessEntry::pid));
            out.add(List.copyOf(g));
        }
        out.sort(Comparator.comparingInt(g -> g.getFirst().pid()));
        return out;
    }

    private static Map<Integer, Integer> invert(Map<Integer, Integer> leaderOf) {
        Map<Integer, Integer> leaders = new HashMap<>();
        leaderOf.values().forEach(l -> leaders.put(l, l));
        return leaders;
    }
}
