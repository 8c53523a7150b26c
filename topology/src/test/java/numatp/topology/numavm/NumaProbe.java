package numatp.topology.numavm;

import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.ThreadPlacement;
import numatp.topology.diagnostics.MemoryDiagnostics;
import numatp.topology.diagnostics.ResidencyReport;
import numatp.topology.diagnostics.SystemCheck;
import numatp.topology.linux.CpuLocation;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.MemPolicy;
import numatp.topology.memory.FallbackStep;
import numatp.topology.memory.NodeAllocation;
import numatp.topology.memory.NodeMemory;
import numatp.topology.memory.NodeMemoryOptions;
import numatp.topology.memory.Placement;
import numatp.topology.NumatpException;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs placement checks inside a numa-vm guest and prints {@code PROBE key=value} lines the
 * numa-vm tests parse. One JVM start per guest boot (Java under TCG is slow), several checks.
 *
 * <pre>
 *   alloc NODE MIB bind|preferred|interleave touch|notouch   allocate, print placement and residency
 *   thread NODE                                                bind a new thread to NODE, print getcpu
 *   check                                                      print the system check
 * </pre>
 */
public final class NumaProbe {
    private NumaProbe() {
    }

    public static void main(String[] args) {
        System.out.println("PROBE native=" + LinuxNuma.system().description());
        int i = 0;
        while (i < args.length) {
            String command = args[i++];
            switch (command) {
                case "alloc" -> alloc(Integer.parseInt(args[i]), Long.parseLong(args[i + 1]),
                        args[i + 2], args[i + 3].equals("touch"));
                case "thread" -> thread(Integer.parseInt(args[i]));
                case "check" -> System.out.print(SystemCheck.run().toText().lines()
                        .map(l -> "PROBE check=" + l + "\n").reduce("", String::concat));
                default -> throw new IllegalArgumentException("unknown probe command " + command);
            }
            i += switch (command) {
                case "alloc" -> 4;
                case "thread" -> 1;
                default -> 0;
            };
        }
        System.out.println("PROBE done=true");
    }

    private static void alloc(int node, long mib, String policy, boolean touch) {
        String key = "alloc." + node + "." + mib + "." + policy + "." + (touch ? "touch" : "notouch");
        NodeMemoryOptions options = NodeMemoryOptions.defaults()
                .withPolicy(numatp.topology.memory.PlacementPolicy.valueOf(policy.toUpperCase(java.util.Locale.ROOT)))
                .withFirstTouch(touch);
        try (NodeAllocation a = NodeMemory.system().allocate(mib << 20, node, options)) {
            Placement p = a.placement();
            System.out.println("PROBE " + key + ".policy=" + p.policyUsed().label());
            System.out.println("PROBE " + key + ".summary=" + p.summary());
            for (FallbackStep s : p.fallbackSteps()) {
                System.out.println("PROBE " + key + ".step=" + s.from() + "->" + s.to() + ": " + s.message());
            }
            ResidencyReport r = MemoryDiagnostics.check(a.segment(), node, "probe " + mib + " MiB");
            System.out.println("PROBE " + key + ".verdict=" + r.verdict());
            System.out.println("PROBE " + key + ".report=" + r.message());
            printSmaps(key, a.segment().address(), a.segment().byteSize());
            if (r.residency() != null) {
                r.residency().pagesByNode().forEach((n, pages) ->
                        System.out.println("PROBE " + key + ".pages.node" + n + "=" + pages));
            }
        } catch (NumatpException e) {
            System.out.println("PROBE " + key + ".error=" + e.getMessage());
        }
    }

    /** The smaps lines about page sizes of the mappings overlapping the range, as evidence for the huge page report. */
    private static void printSmaps(String key, long address, long sizeBytes) {
        String smaps;
        try {
            smaps = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/smaps"));
        } catch (java.io.IOException e) {
            return;
        }
        boolean in = false;
        for (String line : smaps.split("\n")) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                in = start < address + sizeBytes && end > address;
                if (in) {
                    System.out.println("PROBE " + key + ".smaps=" + line);
                }
            } else if (in && (line.startsWith("AnonHugePages") || line.startsWith("KernelPageSize")
                    || line.contains("Hugetlb") || line.startsWith("THPeligible") || line.startsWith("Size"))) {
                System.out.println("PROBE " + key + ".smaps=" + line);
            }
        }
    }

    private static void thread(int node) {
        AtomicReference<String> out = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("probe-node" + node).unstarted(() -> {
            try {
                NumaBinder binder = NumaBinder.system();
                ThreadPlacement placement = binder.bindCurrentThreadToNode(node, binder.nodeCpus(node), MemPolicy.PREFERRED);
                CpuLocation where = LinuxNuma.system().getcpu();
                out.set("cpus=" + placement.cpus() + "\nPROBE thread." + node + ".policy=" + placement.memoryPolicy()
                        + "\nPROBE thread." + node + ".affinity=" + LinuxNuma.system().getAffinity(0)
                        + "\nPROBE thread." + node + ".cpu=" + where.cpu()
                        + "\nPROBE thread." + node + ".node=" + where.node());
            } catch (NumatpException e) {
                out.set("error=" + e.getMessage());
            }
        });
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.println("PROBE thread." + node + "." + out.get());
    }

}
