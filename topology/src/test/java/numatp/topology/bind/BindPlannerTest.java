package numatp.topology.bind;

import com.fasterxml.jackson.databind.ObjectMapper;
import numatp.topology.IdSet;
import numatp.topology.SharedCaptures;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plans on generated /proc + sysfs trees (the A3 shape, a 2-node host) and on every shared capture. */
@Timeout(60)
class BindPlannerTest {
    @TempDir
    Path root;

    /** 16 groups (scheduler/worker per instance) and two background services on an A3-shaped machine. */
    private List<ProcessEntry> a3Processes() {
        for (int g = 0; g < 16; g++) {
            int pid = 1000 + g * 10;
            BindTree.process(root, pid, g % 2 == 0 ? "scheduler" : "worker", "python -m svc.worker --rank " + g,
                    Map.of(pid + 1, "forward_0", pid + 2, "prefill", pid + 3, "grpc"));
        }
        BindTree.process(root, 50, "Motor", "/opt/Motor --serve", Map.of());
        BindTree.process(root, 60, "Servicer", "/opt/Servicer", Map.of(61, "decode"));
        BindTree.process(root, 70, "sshd", "/usr/sbin/sshd -D", Map.of());
        BindTree.process(root, 80, "kworker/0:1-events", "", Map.of()); // a kernel thread: no command line
        return new ProcReader(root).processes(Set.of());
    }

    @Test
    void a3PresetPutsFourGroupsPerSocketForwardThreadsOnTheSecondNodeAndOthersOnSocketTwo() {
        BindTree.machine(root, 4, 2, 4);
        Topology topo = TopologyDetector.detect(root);
        BindPlan plan = BindPlanner.plan(topo, BindPolicy.a3(List.of(), List.of(), List.of()), a3Processes(), "gen");
        assertEquals(4, plan.sockets().size());
        assertEquals(16, plan.groupCount());
        assertEquals(List.of(), plan.notes(), plan.toText());
        for (ProcessBinding p : plan.processes()) {
            if (p.isGroup()) {
                int socket = p.group() / 4;
                assertEquals(socket, p.socket(), plan.toText());
                assertEquals(2 * socket, p.node());
                assertEquals(IdSet.range(8 * socket, 8 * socket + 3), p.cpus());
                assertEquals(MemoryMode.INTERLEAVE, p.memory());
                assertEquals(IdSet.of(2 * socket, 2 * socket + 1), p.memNodes());
                for (ThreadBinding t : p.threads()) {
                    boolean forward = t.comm().startsWith("forward") || t.comm().equals("prefill");
                    assertEquals(forward, t.forward(), t.toString());
                    assertEquals(forward ? IdSet.range(8 * socket + 4, 8 * socket + 7) : p.cpus(), t.cpus());
                }
                assertTrue(p.numactlLine().startsWith("numactl --interleave=" + 2 * socket + "-" + (2 * socket + 1)),
                        p.numactlLine());
            } else {
                assertEquals(2, p.socket());
                assertEquals(4, p.node());
                assertEquals(IdSet.range(16, 19), p.cpus());
                assertEquals(MemoryMode.LOCAL, p.memory());
                assertTrue(p.threads().stream().noneMatch(ThreadBinding::forward), "others have no forward threads");
            }
        }
        assertTrue(plan.processes().stream().noneMatch(p -> p.comm().equals("sshd")));
        assertTrue(plan.processes().stream().noneMatch(p -> p.comm().startsWith("kworker")), "kernel threads");
        assertTrue(plan.toText().contains("group 0 -> socket 0: pid 1000 (scheduler) CPUs 0-3 (node 0); 2 forward"
                + " thread(s) -> CPUs 4-7 (node 1); memory interleave 0-1"), plan.toText());
    }

    @Test
    void genericPolicySpreadsGroupsRoundRobinAndPutsOthersOnTheLeastLoadedSocket() {
        BindTree.machine(root, 2, 1, 2);
        BindTree.process(root, 10, "worker", "worker a", Map.of(11, "forward"));
        BindTree.process(root, 20, "worker", "worker b", Map.of());
        BindTree.process(root, 30, "worker", "worker c", Map.of());
        BindTree.process(root, 40, "Motor", "Motor", Map.of());
        BindPolicy policy = BindPolicy.generic(List.of("worker"), List.of("Motor"), List.of("forward"));
        BindPlan plan = BindPlanner.plan(TopologyDetector.detect(root), policy, new ProcReader(root).processes(Set.of()), "g");
        List<Integer> sockets = plan.processes().stream().map(ProcessBinding::socket).toList();
        assertEquals(List.of(0, 1, 0, 1), sockets, plan.toText());
        ProcessBinding first = plan.processes().getFirst();
        assertEquals(MemoryMode.LOCAL, first.memory(), "one node per socket: local memory");
        assertEquals(first.cpus(), first.threads().get(1).cpus(), "forward threads share a one-node socket");
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("has one node")), plan.notes().toString());
    }

    @Test
    void a3PresetOnAnotherShapeSaysSoAndStillPlans() {
        BindTree.machine(root, 1, 2, 2);
        BindPlan plan = BindPlanner.plan(TopologyDetector.detect(root), BindPolicy.a3(List.of(), List.of(), List.of()),
                a3Processes(), "g");
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("expects 4 sockets of 2 nodes")), plan.toText());
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("others_socket_index 2 does not exist")));
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("wrap around")));
        assertTrue(plan.processes().stream().allMatch(p -> p.socket() == 0));
    }

    @Test
    void configFileCarriesTheSeedsFieldsAndRejectsUnknownOnes() throws Exception {
        Path config = root.resolve("bind.json");
        Files.writeString(config, """
                {"groups_per_socket": 4, "others_socket_index": 2,
                 "group_patterns": ["scheduler", "worker"], "other_patterns": ["Motor"],
                 "forward_thread_patterns": ["forward"], "report": "out/report.md"}""");
        BindPolicy p = BindConfig.read(config);
        assertEquals(4, p.groupsPerSocket());
        assertEquals(2, p.othersSocketIndex());
        assertEquals(List.of("scheduler", "worker"), p.groupPatterns());
        assertEquals("out/report.md", p.report());
        Files.writeString(config, "{\"group_patterns\": [\"x\"], \"groups\": 3}");
        BindException e = assertThrows(BindException.class, () -> BindConfig.read(config));
        assertTrue(e.getMessage().contains("unknown field groups"), e.getMessage());
        Files.writeString(config, "{\"group_patterns\": [\"(\"]}");
        e = assertThrows(BindException.class, () -> BindConfig.read(config));
        assertTrue(e.getMessage().contains("not a regular expression: ("), e.getMessage());
        Files.writeString(config, "{\"groups_per_socket\": \"four\", \"group_patterns\": [\"x\"]}");
        e = assertThrows(BindException.class, () -> BindConfig.read(config));
        assertTrue(e.getMessage().contains("groups_per_socket must be an integer"), e.getMessage());
    }

    @Test
    void policyWithoutProcessPatternsIsRejected() {
        BindException e = assertThrows(BindException.class,
                () -> BindPolicy.generic(List.of(), List.of(), List.of("forward")));
        assertTrue(e.getMessage().contains("--group-pattern"), e.getMessage());
    }

    static List<String> captures() {
        return SharedCaptures.names();
    }

    @ParameterizedTest
    @MethodSource("captures")
    void everySharedCaptureGetsAPlanOnItsOwnSockets(String name) throws Exception {
        List<ProcessEntry> procs = new ArrayList<>();
        for (int g = 0; g < 6; g++) {
            procs.add(new ProcessEntry(100 + g, "worker", "worker " + g,
                    List.of(new ThreadEntry(100 + g, "worker"), new ThreadEntry(200 + g, "forward"))));
        }
        procs.add(new ProcessEntry(300, "Motor", "Motor", List.of(new ThreadEntry(300, "Motor"))));
        BindPolicy policy = BindPolicy.generic(List.of("worker"), List.of("Motor"), List.of("forward"));
        {
            String fsroot = new ObjectMapper().readTree(SharedCaptures.sharedTopologies().resolve(name)
                    .resolve("expected.json").toFile()).get("fsroot").asText();
            Topology topo = TopologyDetector.detect(SharedCaptures.root(name, fsroot));
            BindPlan plan = BindPlanner.plan(topo, policy, procs, name);
            assertEquals(7, plan.processes().size(), name);
            for (ProcessBinding p : plan.processes()) {
                SocketNodes socket = plan.sockets().get(p.socket());
                assertEquals(socket.first().id(), p.node(), name);
                assertFalse(p.cpus().isEmpty(), name);
                assertTrue(socket.nodeIds().containsAll(p.memNodes()), name + ": " + p);
                for (ThreadBinding t : p.threads()) {
                    int want = t.forward() ? socket.second().id() : socket.first().id();
                    assertEquals(want, t.node(), name + ": " + t);
                }
            }
            long distinct = plan.processes().stream().filter(ProcessBinding::isGroup).map(ProcessBinding::socket)
                    .distinct().count();
            assertEquals(Math.min(6, plan.sockets().size()), distinct, name + ": groups spread over the sockets\n"
                    + plan.toText());
        }
    }
}
