package numatp.topology.bind;

import numatp.topology.IdSet;
import numatp.topology.TopologyDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --by-device} on generated sysfs trees: accel, GPU and NIC classes, unknown nodes, too few devices. */
@Timeout(60)
class BindByDeviceTest {
    @TempDir
    Path root;

    private BindPlan plan(DeviceClass kind, List<String> forward) {
        BindPolicy policy = BindPolicy.generic(List.of("worker"), List.of("Motor"), forward);
        return BindPlanner.plan(TopologyDetector.detect(root), policy, new ProcReader(root).processes(Set.of()), "gen",
                new DeviceReader(root).read(kind));
    }

    private void workers(int count) {
        for (int w = 0; w < count; w++) {
            int pid = 100 + 10 * w;
            BindTree.process(root, pid, "worker", "python worker.py --device " + w, Map.of(pid + 1, "forward"));
        }
    }

    @Test
    void nthWorkerGoesToTheNodeOfTheNthAccelWithUnknownNodesRoundRobinAndTooFewDevicesWrapping() {
        BindTree.machine(root, 2, 2, 2); // nodes 0-3, CPUs 2 each
        BindTree.accel(root, 0, 3);
        BindTree.accel(root, 1, 1);
        BindTree.accel(root, 2, -1); // the kernel does not know: round-robin by index 2 -> node 2
        BindTree.accel(root, 10, null); // no numa_node file: unknown too, index 3 -> node 3
        workers(6);
        BindTree.process(root, 900, "Motor", "/opt/Motor", Map.of());
        BindPlan plan = plan(DeviceClass.ACCEL, List.of("forward"));
        List<Integer> nodes = plan.processes().stream().filter(ProcessBinding::isGroup).map(ProcessBinding::node)
                .toList();
        assertEquals(List.of(3, 1, 2, 3, 3, 1), nodes, plan.toText());
        List<String> devices = plan.processes().stream().filter(ProcessBinding::isGroup).map(ProcessBinding::device)
                .toList();
        assertEquals(List.of("accel0", "accel1", "accel2", "accel10", "accel0", "accel1"), devices);
        for (ProcessBinding p : plan.processes().stream().filter(ProcessBinding::isGroup).toList()) {
            IdSet nodeCpus = IdSet.range(2 * p.node(), 2 * p.node() + 1);
            assertEquals(nodeCpus, p.cpus());
            assertEquals(IdSet.of(p.node()), p.memNodes(), "memory on the device's node");
            assertEquals(MemoryMode.LOCAL, p.memory());
            assertTrue(p.threads().stream().allMatch(t -> t.cpus().equals(nodeCpus)),
                    "forward threads stay with their device: " + p);
            assertEquals(p.node() / 2, p.socket());
        }
        assertTrue(plan.toText().contains("pid 100 (worker) CPUs 6-7 (node 3) next to accel0"), plan.toText());
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("accel2 reports no node (numa_node -1): its process"
                + " goes to node 2 (round-robin over nodes 0-3 by device index 2)")), plan.notes().toString());
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("6 selected processes for 4 accel device(s)")),
                plan.notes().toString());
        assertTrue(plan.processes().stream().anyMatch(p -> !p.isGroup() && p.comm().equals("Motor")),
                "others are still placed");
    }

    @Test
    void randomDeviceNodesMatchANaiveTwin() {
        SplittableRandom random = new SplittableRandom(17);
        BindTree.machine(root, 2, 2, 1);
        int deviceCount = 1 + random.nextInt(6);
        List<Integer> reported = new ArrayList<>();
        for (int d = 0; d < deviceCount; d++) {
            int node = random.nextInt(5) - 1; // -1..3
            reported.add(node);
            BindTree.accel(root, d, node);
        }
        int workerCount = 1 + random.nextInt(9);
        workers(workerCount);
        BindPlan plan = plan(DeviceClass.ACCEL, List.of());
        for (int w = 0; w < workerCount; w++) {
            int d = w % deviceCount;
            int want = reported.get(d) >= 0 ? reported.get(d) : d % 4;
            assertEquals(want, plan.processes().get(w).node(), "worker " + w + " devices " + reported);
            assertEquals(100 + 10 * w, plan.processes().get(w).pid());
        }
    }

    @Test
    void gpusAreDisplayControllersInAddressOrderWithoutManagementOrEmulatedScreens() {
        BindTree.machine(root, 2, 1, 2);
        BindTree.pci(root, "0000:00:01.0", "0x030000", "0x1234", -1); // a VM's emulated screen
        BindTree.pci(root, "0000:02:00.0", "0x030000", "0x1a03", 0); // ASPEED VGA of the BMC
        BindTree.pci(root, "0000:c1:00.0", "0x030200", "0x10de", 1);
        BindTree.pci(root, "0000:41:00.0", "0x030200", "0x10de", 0);
        BindTree.pci(root, "0000:3b:00.0", "0x020000", "0x8086", 1); // a NIC: not a GPU
        workers(2);
        BindPlan plan = plan(DeviceClass.GPU, List.of());
        assertEquals(List.of(0, 1), plan.processes().stream().map(ProcessBinding::node).toList(), plan.toText());
        assertEquals(List.of("0000:41:00.0", "0000:c1:00.0"), plan.processes().stream().map(ProcessBinding::device)
                .toList());
        assertTrue(plan.notes().contains("left out 0000:02:00.0: a ASPEED (board management) display controller,"
                + " not a GPU"), plan.notes().toString());
        assertTrue(plan.notes().contains("left out 0000:00:01.0: a QEMU standard VGA display controller, not a GPU"),
                plan.notes().toString());
    }

    @Test
    void nicsArePciBackedInterfacesInNameOrderWithTheirDevicesNode() {
        BindTree.machine(root, 2, 1, 2);
        BindTree.pci(root, "0000:3b:00.0", "0x020000", "0x8086", 0);
        BindTree.pci(root, "0000:86:00.0", "0x020000", "0x15b3", 1);
        BindTree.nic(root, "eth10", "0000:3b:00.0");
        BindTree.nic(root, "eth2", "0000:86:00.0");
        BindTree.nic(root, "lo", null);
        workers(2);
        BindPlan plan = plan(DeviceClass.NIC, List.of());
        assertEquals(List.of("eth2 (0000:86:00.0)", "eth10 (0000:3b:00.0)"), plan.processes().stream()
                .map(ProcessBinding::device).toList(), plan.toText());
        assertEquals(List.of(1, 0), plan.processes().stream().map(ProcessBinding::node).toList());
        assertTrue(plan.notes().contains("left out interfaces without a PCI device: lo"), plan.notes().toString());
    }

    @Test
    void noDeviceOfTheClassIsAnErrorNamingWhereItLooked() {
        BindTree.machine(root, 1, 1, 2);
        BindTree.nic(root, "lo", null);
        BindException e = assertThrows(BindException.class, () -> new DeviceReader(root).read(DeviceClass.NIC));
        assertTrue(e.getMessage().startsWith("--by-device nic: no nic device under " + root), e.getMessage());
        assertTrue(e.getMessage().contains("without a PCI device: lo"), e.getMessage());
        e = assertThrows(BindException.class, () -> new DeviceReader(root).read(DeviceClass.ACCEL));
        assertTrue(e.getMessage().contains("sys/class/accel/accel*/device/numa_node"), e.getMessage());
        e = assertThrows(BindException.class, () -> DeviceClass.parse("tpu"));
        assertTrue(e.getMessage().contains("[accel, gpu, nic], got tpu"), e.getMessage());
    }

    @Test
    void malformedNumaNodeNamesTheFile() {
        BindTree.machine(root, 1, 1, 2);
        BindTree.write(root, "sys/class/accel/accel0/device/numa_node", "zero\n");
        BindException e = assertThrows(BindException.class, () -> new DeviceReader(root).read(DeviceClass.ACCEL));
        assertTrue(e.getMessage().contains("accel0/device/numa_node: malformed numa_node 'zero'"), e.getMessage());
    }
}
