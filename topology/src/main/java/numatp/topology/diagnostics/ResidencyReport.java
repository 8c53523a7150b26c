package numatp.topology.diagnostics;

import numatp.topology.memory.HugePageUsage;
import numatp.topology.memory.Residency;
import numatp.topology.memory.Sizes;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a labelled segment's pages are, compared to where they were meant to be.
 *
 * @param label what the memory is for ("KV cache")
 * @param sizeBytes the segment's size
 * @param expectedNode the node it was meant for
 * @param verdict match, mismatch, untouched or unknown
 * @param residency the sampled residency; null when unknown
 * @param hugePages huge page backing from smaps
 * @param likelyCauses for a mismatch: what probably moved or misplaced the pages, with what to do
 * @param message the one-line report
 */
public record ResidencyReport(String label, long sizeBytes, int expectedNode, Verdict verdict, Residency residency,
                              HugePageUsage hugePages, List<String> likelyCauses, String message) {
    public ResidencyReport {
        likelyCauses = List.copyOf(likelyCauses);
    }

    static String describe(String label, long sizeBytes, int expectedNode, Verdict verdict, Residency residency,
                           HugePageUsage hugePages, List<String> causes) {
        String huge = "huge pages: " + hugePages.describe();
        return switch (verdict) {
            case MATCH -> label + ": " + Sizes.format(sizeBytes) + " on node " + expectedNode + " (match"
                    + (residency.untouchedPages() > 0 ? "; " + Sizes.format(residency.untouchedBytes()) + " untouched" : "")
                    + "), " + huge;
            case MISMATCH -> "WARNING: " + label + " requested on node " + expectedNode + ", but resident on "
                    + nodes(residency) + " (mismatch)"
                    + (residency.untouchedPages() > 0 ? "; " + Sizes.format(residency.untouchedBytes()) + " untouched" : "")
                    + ", " + huge + (causes.isEmpty() ? "" : "; likely cause: " + String.join("; ", causes));
            case UNTOUCHED -> label + ": " + Sizes.format(sizeBytes) + " for node " + expectedNode
                    + " not touched yet (placement is decided at first write), " + huge;
            case UNKNOWN -> label + ": " + Sizes.format(sizeBytes) + " for node " + expectedNode
                    + ": residency unknown" + (causes.isEmpty() ? "" : " (" + String.join("; ", causes) + ")")
                    + ", " + huge;
        };
    }

    private static String nodes(Residency residency) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<Integer, Long> e : residency.bytesByNode().entrySet()) {
            if (!out.isEmpty()) {
                out.append(", ");
            }
            out.append("node ").append(e.getKey()).append(" (").append(Sizes.format(e.getValue()))
                    .append(String.format(Locale.ROOT, ", %.0f%%", residency.percentOn(e.getKey()))).append(')');
        }
        return out.toString();
    }
}
