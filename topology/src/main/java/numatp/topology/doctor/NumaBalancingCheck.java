package numatp.topology.doctor;

import java.util.Optional;

/**
 * Automatic NUMA balancing ({@code /proc/sys/kernel/numa_balancing}): when on, the kernel
 * unmaps pages to sample their use and migrates them and threads between nodes, undoing
 * numatp's placement and adding page faults to the decode loop.
 */
final class NumaBalancingCheck implements HostCheck {
    static final String ID = "numa-balancing";
    private static final String TITLE = "automatic NUMA balancing";
    private static final String FILE = "proc/sys/kernel/numa_balancing";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Finding check(DoctorInput input) {
        Optional<String> value = input.files().read(FILE);
        if (value.isEmpty()) {
            return Finding.unknown(ID, TITLE, "/" + FILE + " is absent (kernel without NUMA balancing, or not"
                    + " captured)");
        }
        if (value.get().equals("0")) {
            return Finding.ok(ID, TITLE, "off (0)");
        }
        boolean oneNode = input.topology().nodes().size() < 2;
        if (oneNode) {
            return Finding.ok(ID, TITLE, "on (" + value.get() + "), harmless with one node");
        }
        return new Finding(ID, TITLE, Readiness.WARN, "on (" + value.get()
                + "): the kernel migrates bound pages and threads between nodes",
                "sudo sysctl -w kernel.numa_balancing=0 (persist: kernel.numa_balancing = 0 in /etc/sysctl.d/)");
    }
}
