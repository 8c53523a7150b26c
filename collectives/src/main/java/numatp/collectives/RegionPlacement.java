package numatp.collectives;

import numatp.topology.memory.Residency;
import numatp.topology.memory.Sizes;

import java.util.Locale;
import java.util.Map;

/**
 * Where one rank's shared region is: the node its rank runs on, the memory policy the region
 * got, and where its pages are resident when asked (sampled with {@code move_pages}).
 *
 * @param rank       the region's owner
 * @param wantedNode the owner's node
 * @param policy     {@code bind}, {@code preferred}, {@code interleave} or {@code plain} (no policy:
 *                   pages land on the node of the thread that first writes them, the owner)
 * @param note       why the policy is not {@code bind} (fallback reasons), or empty
 * @param residency  sampled residency of the region; null when it cannot be measured (no
 *                   {@code move_pages}: not Linux, or refused)
 */
public record RegionPlacement(int rank, int wantedNode, String policy, String note, Residency residency) {
    /** The node holding most of the region's resident pages; -1 when none is resident or it cannot be measured. */
    public int obtainedNode() {
        if (residency == null) {
            return -1;
        }
        int best = -1;
        int bestPages = 0;
        for (Map.Entry<Integer, Integer> e : residency.pagesByNode().entrySet()) {
            if (e.getValue() > bestPages) {
                best = e.getKey();
                bestPages = e.getValue();
            }
        }
        return best;
    }

    /** True when pages are resident and every resident sampled page is on the wanted node. */
    public boolean onWantedNode() {
        return residency != null && residency.residentPages() > 0
                && residency.pagesByNode().getOrDefault(wantedNode, 0) == residency.residentPages();
    }

    /** One line, e.g. {@code rank 1: node 1 wanted, 2 MiB resident, 100% on node 1 (bind)}. */
    public String summary() {
        StringBuilder out = new StringBuilder("rank ").append(rank).append(": node ").append(wantedNode).append(" wanted, ");
        if (residency == null) {
            out.append("residency unknown");
        } else if (residency.residentPages() == 0) {
            out.append("not touched yet");
        } else {
            long resident = 0;
            for (long bytes : residency.bytesByNode().values()) {
                resident += bytes;
            }
            out.append(Sizes.format(resident)).append(" resident");
            residency.pagesByNode().forEach((node, pages) -> out.append(String.format(Locale.ROOT, ", %.0f%% on node %d",
                    100.0 * pages / residency.residentPages(), node)));
        }
        out.append(" (").append(policy).append(note.isEmpty() ? "" : ": " + note).append(')');
        return out.toString();
    }
}
