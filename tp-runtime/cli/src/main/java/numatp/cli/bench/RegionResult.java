package numatp.cli.bench;

import numatp.collectives.RegionPlacement;

import java.util.List;

/**
 * Where one rank's shared region was during a benchmark cell; JSON names are stable.
 *
 * @param rank         the region's rank
 * @param wantedNode   the rank's node
 * @param obtainedNode the node holding most of its resident pages, -1 when unknown
 * @param policy       memory policy the region got: bind, preferred, interleave or plain
 * @param note         why the policy is not bind, or empty
 */
public record RegionResult(int rank, int wantedNode, int obtainedNode, String policy, String note) {
    public static RegionResult of(RegionPlacement p) {
        return new RegionResult(p.rank(), p.wantedNode(), p.obtainedNode(), p.policy(), p.note());
    }

    public static List<RegionResult> of(List<RegionPlacement> placements) {
        return placements.stream().map(RegionResult::of).toList();
    }

    /** E.g. {@code rank 1: node 1 wanted, on node 1 (bind)}. */
    public String summary() {
        return "rank " + rank + ": node " + wantedNode + " wanted, "
                + (obtainedNode < 0 ? "residency unknown" : "on node " + obtainedNode) + " (" + policy
                + (note.isEmpty() ? "" : ": " + note) + ")";
    }
}
