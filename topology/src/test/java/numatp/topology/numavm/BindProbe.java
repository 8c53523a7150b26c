package numatp.topology.numavm;

import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;
import numatp.topology.TopologyDetector;
import numatp.topology.bind.ApplyStep;
import numatp.topology.bind.BindCalls;
import numatp.topology.bind.BindPlan;
import numatp.topology.bind.BindPlanner;
import numatp.topology.bind.BindPolicy;
import numatp.topology.bind.BindReport;
import numatp.topology.bind.BindVerifier;
import numatp.topology.bind.Binder;
import numatp.topology.bind.ProcReader;
import numatp.topology.bind.ProcessBinding;
import numatp.topology.bind.ProcessCheck;
import numatp.topology.bind.ProcessEntry;
import numatp.topology.linux.LinuxNuma;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@code tp bind}'s plan, apply and verify inside a numa-vm guest on two {@code sleep}
 * children and prints {@code PROBE key=value} lines for {@link NumaVmBindTest}.
 */
public final class BindProbe {
    private BindProbe() {
    }

    public static void main(String[] args) throws Exception {
        List<Process> children = List.of(new ProcessBuilder("sleep", "60").start(),
                new ProcessBuilder("sleep", "60").start());
        try {
            Path root = Path.of("/");
            List<ProcessEntry> entries = new ArrayList<>();
            for (Process p : children) {
                entries.add(awaitSleep((int) p.pid()));
            }
            Topology topology = TopologyDetector.detect();
            BindPlan plan = BindPlanner.plan(topology, BindPolicy.generic(List.of("^sleep"), List.of(), List.of()),
                    entries, "/");
            System.out.println("PROBE sockets=" + plan.sockets().size());
            plan.toText().lines().forEach(l -> System.out.println("PROBE plan=" + l));
            IdSet nodes = IdSet.of(topology.nodes().stream().mapToInt(NumaNode::id).toArray());
            List<ApplyStep> steps = Binder.apply(plan, BindCalls.of(LinuxNuma.system()), nodes);
            for (ApplyStep s : steps) {
                System.out.println("PROBE step=" + s.status().label() + " " + s.call() + " " + s.detail());
            }
            List<ProcessCheck> checks = new BindVerifier(root).verify(plan);
            BindReport.verifyText(checks).lines().forEach(l -> System.out.println("PROBE verify=" + l));
            System.out.println("PROBE verified=" + BindReport.verified(checks));
            System.out.println("PROBE groupNodes=" + plan.processes().stream().map(ProcessBinding::node)
                    .distinct().count());
        } finally {
            for (Process p : children) {
                p.destroyForcibly();
            }
        }
        System.out.println("PROBE done=true");
    }

    private static ProcessEntry awaitSleep(int pid) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            String comm = Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
            if (comm.equals("sleep")) {
                return new ProcReader(Path.of("/")).process(pid);
            }
            Thread.onSpinWait();
        }
        throw new IllegalStateException("pid " + pid + " did not exec sleep");
    }
}
