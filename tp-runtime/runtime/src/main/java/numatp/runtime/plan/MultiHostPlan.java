package numatp.runtime.plan;

import java.util.List;

/**
 * A plan over several hosts (an Open MPI job): the shards split into consecutive rank
 * ranges, one per host, each host's range placed on its nodes by the one-host planner.
 *
 * @param hosts   per host, in rank order
 * @param reasons how the shards were divided among the hosts, in words
 */
public record MultiHostPlan(List<HostPlan> hosts, List<String> reasons) {
    public MultiHostPlan {
        hosts = List.copyOf(hosts);
        reasons = List.copyOf(reasons);
    }

    /**
     * One host's part.
     *
     * @param host      host index (the order the hosts were given in)
     * @param name      what the host was read from (a capture path, or this machine)
     * @param firstRank global rank of the host's first shard; the host's local rank r is global
     *                  rank {@code firstRank + r}
     * @param plan      the host's shards placed on its nodes (ranks local to the host)
     */
    public record HostPlan(int host, String name, int firstRank, PlacementPlan plan) {
        public int shards() {
            return plan.shards().size();
        }
    }

    public int shards() {
        return hosts.stream().mapToInt(HostPlan::shards).sum();
    }
}
