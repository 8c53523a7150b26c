package numatp.topology.memory;

import numatp.topology.IdSet;

import java.util.List;

/**
 * What an allocation actually obtained, next to what was asked.
 *
 * @param node the node asked for
 * @param requestedBytes the size asked for (the segment's size)
 * @param mappedBytes the size mapped (rounded up to the page or huge page size)
 * @param requestedPolicy the policy asked for
 * @param policyUsed the policy in force after fallbacks
 * @param policyNodes the nodes of that policy (the node, the interleave set, or empty for plain)
 * @param hugePagesRequested the huge page mode asked for
 * @param hugePagesObtained the mode obtained ({@code THP} only when huge pages back touched memory)
 * @param touched whether every page was populated at allocation time
 * @param touchNote who touched the pages, or why they were not
 * @param fallbackSteps each step down the chain, in order; empty when placed as asked
 * @param residency where the pages are, sampled after touching; null when not touched or not measurable
 */
public record Placement(int node, long requestedBytes, long mappedBytes, PlacementPolicy requestedPolicy,
                        PlacementPolicy policyUsed, IdSet policyNodes, HugePages hugePagesRequested,
                        HugePages hugePagesObtained, boolean touched, String touchNote,
                        List<FallbackStep> fallbackSteps, Residency residency) {
    public Placement {
        fallbackSteps = List.copyOf(fallbackSteps);
    }

    /** True when anything differs from the request (policy or huge pages). */
    public boolean fellBack() {
        return !fallbackSteps.isEmpty();
    }

    /** One line: {@code 256 MiB on node 1: bind, huge pages off, 100% on node 1}. */
    public String summary() {
        StringBuilder out = new StringBuilder(Sizes.format(requestedBytes)).append(" on node ").append(node)
                .append(": ").append(policyUsed.label());
        if (policyUsed != requestedPolicy) {
            out.append(" (asked ").append(requestedPolicy.label()).append(')');
        }
        out.append(", huge pages ").append(hugePagesObtained.name().toLowerCase(java.util.Locale.ROOT));
        if (residency != null && residency.residentPages() > 0) {
            out.append(String.format(java.util.Locale.ROOT, ", %.0f%% on node %d", residency.percentOn(node), node));
        } else if (!touched) {
            out.append(", not touched yet");
        }
        return out.toString();
    }
}
