package numatp.topology.diagnostics;

import numatp.topology.linux.KernelFiles;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.NativeCallException;
import numatp.topology.linux.PolicySupport;
import numatp.topology.memory.HugePageUsage;
import numatp.topology.memory.PageResidency;
import numatp.topology.memory.Residency;
import numatp.topology.memory.Sizes;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks where a segment's pages really are: samples them with {@code move_pages}, reads huge page
 * backing from {@code /proc/self/smaps}, and for a mismatch names the likely cause (automatic NUMA
 * balancing, refused policy calls, a full node). E.g.
 * {@code KV cache: 256 MiB on node 0 (match), huge pages: active (128 x 2 MiB)}.
 */
public final class MemoryDiagnostics {
    private final LinuxNuma numa;
    private final KernelFiles files;

    public MemoryDiagnostics(LinuxNuma numa, KernelFiles files) {
        this.numa = numa;
        this.files = files;
    }

    /** Checks {@code segment} against the real kernel. */
    public static ResidencyReport check(MemorySegment segment, int expectedNode, String label) {
        return new MemoryDiagnostics(LinuxNuma.system(), KernelFiles.system()).report(segment, expectedNode, label);
    }

    public ResidencyReport report(MemorySegment segment, int expectedNode, String label) {
        long address = segment.address();
        long size = segment.byteSize();
        HugePageUsage huge = HugePageUsage.of(files, address, size);
        Residency residency;
        List<String> causes = new ArrayList<>();
        try {
            residency = PageResidency.sample(numa, address, size, PageResidency.DEFAULT_MAX_SAMPLES);
        } catch (NativeCallException e) {
            causes.add("move_pages: " + e.getMessage());
            return build(label, size, expectedNode, Verdict.UNKNOWN, null, huge, causes);
        }
        Verdict verdict = interpret(residency, expectedNode);
        if (verdict == Verdict.MISMATCH) {
            causes.addAll(likelyCauses(expectedNode, size));
        }
        return build(label, size, expectedNode, verdict, residency, huge, causes);
    }

    /** The verdict for a sampled residency: untouched, match (all resident pages on the node) or mismatch. */
    public static Verdict interpret(Residency residency, int expectedNode) {
        if (residency.residentPages() == 0) {
            return residency.untouchedPages() > 0 || residency.pagesSampled() == 0 ? Verdict.UNTOUCHED : Verdict.UNKNOWN;
        }
        return residency.pagesByNode().getOrDefault(expectedNode, 0) == residency.residentPages()
                ? Verdict.MATCH : Verdict.MISMATCH;
    }

    /** What probably put pages elsewhere, each with what to do; in the order worth checking. */
    List<String> likelyCauses(int expectedNode, long sizeBytes) {
        List<String> causes = new ArrayList<>();
        if (files.read("proc/sys/kernel/numa_balancing").filter(v -> !v.equals("0")).isPresent()) {
            causes.add("automatic NUMA balancing is on and migrates pages (echo 0 > /proc/sys/kernel/numa_balancing)");
        }
        PolicySupport support = PolicySupport.of(numa);
        if (!support.permitted()) {
            causes.add("memory-policy calls are refused (" + support.detail() + "; " + support.recommendation() + ")");
        }
        files.nodeMemInfo(expectedNode).ifPresent(m -> {
            if (m.memFreeBytes() < Math.max(sizeBytes, m.memTotalBytes() / 20)) {
                causes.add("node " + expectedNode + " is nearly full (" + Sizes.format(m.memFreeBytes()) + " free of "
                        + Sizes.format(m.memTotalBytes()) + "), so a preferred policy spilled to other nodes");
            }
        });
        if (causes.isEmpty()) {
            causes.add("the memory was first touched by a thread on another node before a policy was set");
        }
        return causes;
    }

    private static ResidencyReport build(String label, long size, int node, Verdict verdict, Residency residency,
                                         HugePageUsage huge, List<String> causes) {
        return new ResidencyReport(label, size, node, verdict, residency, huge, causes,
                ResidencyReport.describe(label, size, node, verdict, residency, huge, causes));
    }
}
