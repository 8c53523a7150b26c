package numatp.topology.bind;

import numatp.topology.TopologyDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Groups = serving instances: a scheduler and what it started share a group, a socket and a plan line each. */
@Timeout(60)
class ProcessGroupsTest {
    @TempDir
    Path root;

    /** Two instances (scheduler -> sh -c -> workers, rpc_proxy) and a launcher starting a third as siblings. */
    private void instances() {
        BindTree.machine(root, 2, 2, 2);
        for (int i = 0; i < 2; i++) {
            int base = 100 * (i + 1);
            BindTree.process(root, base, 1, "scheduler", "python -m xllm.scheduler --port 90" + i, Map.of());
            BindTree.process(root, base + 1, base, "sh", "sh -c ./run.sh", Map.of());
            BindTree.process(root, base + 2, base + 1, "worker", "python -m xllm.worker --rank 0",
                    Map.of(base + 50, "forward_0"));
            BindTree.process(root, base + 3, base + 1, "worker", "python -m xllm.worker --rank 1",
                    Map.of(base + 60, "decode"));
            BindTree.process(root, base + 4, base, "rpc_proxy", "rpc_proxy --listen", Map.of());
        }
        BindTree.process(root, 300, 1, "python", "python launch.py", Map.of());
        BindTree.process(root, 301, 300, "scheduler", "python -m xllm.scheduler --port 902", Map.of());
        BindTree.process(root, 302, 300, "worker", "python -m xllm.worker --rank 0", Map.of());
        BindTree.process(root, 400, 1, "Motor", "/opt/Motor", Map.of());
    }

    private BindPlan plan(GroupBy how) {
        BindPolicy policy = BindPolicy.generic(List.of("scheduler|worker|rpc_proxy|tcp"), List.of("Motor|Servicer"),
                List.of("forward|prefill|decode")).withGroupBy(how);
        return BindPlanner.plan(TopologyDetector.detect(root), policy, new ProcReader(root).processes(Set.of()), "g");
    }

    private static Map<Integer, Integer> groupByPid(BindPlan plan) {
        Map<Integer, Integer> out = new HashMap<>();
        plan.processes().forEach(p -> out.put(p.pid(), p.group()));
        return out;
    }

    @Test
    void treeGroupsAnInstancesProcessesThroughWrappersAndPlacesThemTogether() {
        instances();
        BindPlan plan = plan(GroupBy.TREE);
        Map<Integer, Integer> group = groupByPid(plan);
        assertEquals(List.of(0, 0, 0, 0), List.of(group.get(100), group.get(102), group.get(103), group.get(104)),
                plan.toText());
        assertEquals(List.of(1, 1, 1, 1), List.of(group.get(200), group.get(202), group.get(203), group.get(204)));
        assertEquals(2, group.get(301), "siblings under a launcher that matches no pattern: own groups");
        assertEquals(3, group.get(302));
        assertEquals(-1, group.get(400));
        assertTrue(!group.containsKey(101), "the sh wrapper matches no pattern: not bound");
        assertEquals(4, plan.groupCount());
        for (ProcessBinding p : plan.processes()) {
            if (p.isGroup()) {
                assertEquals(p.group() % 2, p.socket(), "groups round-robin over the 2 sockets: " + p);
                p.threads().stream().filter(ThreadBinding::forward).forEach(t -> assertEquals(2 * p.socket() + 1,
                        t.node(), "forward threads on the socket's second node"));
            }
        }
    }

    @Test
    void parentMergesSiblingsOfALauncherAndProcessKeepsEveryProcessAlone() {
        instances();
        Map<Integer, Integer> parent = groupByPid(plan(GroupBy.PARENT));
        assertEquals(parent.get(301), parent.get(302), "the launcher's scheduler and worker: one group");
        assertTrue(!parent.get(100).equals(parent.get(200)), "pid 1 children never merge");
        BindPlan alone = plan(GroupBy.PROCESS);
        assertEquals(10, alone.groupCount(), alone.toText());
    }

    @Test
    void randomProcessTreesGroupEachProcessWithItsHighestMatchingAncestor() {
        SplittableRandom random = new SplittableRandom(2026);
        for (int round = 0; round < 40; round++) {
            List<ProcessEntry> all = new ArrayList<>();
            Map<Integer, Integer> parentOf = new HashMap<>();
            Set<Integer> matching = new java.util.HashSet<>();
            for (int pid = 2; pid < 40; pid++) {
                int ppid = random.nextInt(4) == 0 ? 1 : 1 + random.nextInt(pid - 1); // a forest rooted at pid 1
                boolean match = random.nextBoolean();
                parentOf.put(pid, ppid);
                all.add(new ProcessEntry(pid, ppid, match ? "worker" : "sh", match ? "worker" : "sh",
                        List.of(new ThreadEntry(pid, "t"))));
                if (match) {
                    matching.add(pid);
                }
            }
            List<ProcessEntry> selected = all.stream().filter(p -> matching.contains(p.pid())).toList();
            for (GroupBy how : new GroupBy[]{GroupBy.TREE, GroupBy.PROCESS}) {
                List<List<ProcessEntry>> groups = ProcessGroups.of(selected, all, how);
                Map<Integer, Integer> groupOf = new HashMap<>();
                for (int g = 0; g < groups.size(); g++) {
                    for (ProcessEntry p : groups.get(g)) {
                        groupOf.put(p.pid(), g);
                    }
                }
                assertEquals(matching, groupOf.keySet(), "every selected process in exactly one group");
                for (int pid : matching) {
                    int leader = pid; // naive twin: walk to the top, keep the last matching ancestor
                    for (int up = parentOf.get(pid); up > 1; up = parentOf.get(up)) {
                        leader = matching.contains(up) ? up : leader;
                    }
                    int want = how == GroupBy.PROCESS ? pid : leader;
                    assertEquals(groupOf.get(want), groupOf.get(pid), how + " round " + round + " pid " + pid);
                }
                long leaders = how == GroupBy.PROCESS ? matching.size() : matching.stream()
                        .filter(pid -> {
                            for (int up = parentOf.get(pid); up > 1; up = parentOf.get(up)) {
                                if (matching.contains(up)) {
                                    return false;
                                }
                            }
                            return true;
                        }).count();
                assertEquals(leaders, groups.size(), how + " round " + round + ": one group per leader");
            }
        }
    }

    @Test
    void startLinesQuoteArgumentsSoTheShellGetsTheSameArgv() {
        BindTree.machine(root, 1, 1, 2);
        BindTree.process(root, 10, 1, "scheduler", "x", Map.of());
        BindTree.write(root, "proc/10/cmdline", "/opt/scheduler\0-c\0run 'w' & wait\0--port=9000\0\0");
        ProcessEntry e = new ProcReader(root).process(10);
        assertEquals(List.of("/opt/scheduler", "-c", "run 'w' & wait", "--port=9000", ""), e.argv());
        assertEquals("/opt/scheduler -c 'run '\\''w'\\'' & wait' --port=9000 ''", e.shellCommand());
        BindPlan plan = BindPlanner.plan(TopologyDetector.detect(root), BindPolicy.generic(List.of("scheduler"),
                List.of(), List.of()), List.of(e), "g");
        assertEquals("numactl --membind=0 --physcpubind=0-1 -- " + e.shellCommand(),
                plan.processes().getFirst().numactlLine());
        assertEquals("a b", new ProcessEntry(5, "a", "a b", List.of(new ThreadEntry(5, "a"))).shellCommand(),
                "without argv the joined command line is split at spaces");
    }

    @Test
    void statNamesWithSpacesAndParenthesesAreReadAndMalformedOnesNamed() {
        BindTree.machine(root, 1, 1, 2);
        BindTree.process(root, 10, 7, "my (odd) name", "odd", Map.of());
        assertEquals(7, new ProcReader(root).process(10).ppid());
        BindTree.write(root, "proc/10/stat", "10 (x)\n");
        BindException e = assertThrows(BindException.class, () -> new ProcReader(root).process(10));
        assertTrue(e.getMessage().contains("proc/10/stat: malformed"), e.getMessage());
        BindException bad = assertThrows(BindException.class, () -> GroupBy.parse("socket", "--group-by"));
        assertEquals("--group-by: expected one of [tree, parent, process], got socket", bad.getMessage());
    }
}
