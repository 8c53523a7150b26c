package numatp.runtime.plan;

import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.NumatpException;
import numatp.topology.Topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Plans {@code config.shards()} shards over several hosts. The link between hosts is far slower
 * than any inside one, and every host joins each allreduce, so the rule is simple: every host
 * gets a consecutive range of ranks (host 0's first, as mpirun fills hosts in order), the
 * ranges proportional to the hosts' allowed cores (largest remainders, ties to the earlier
 * host), at least one shard each; then each host's range is placed on its nodes exactly as
 * {@link PlacementPlanner} places a one-host plan, memory included. A host that cannot hold
 * its share fails the plan with that host named.
 */
public final class MultiHostPlanner {
    private MultiHostPlanner() {
    }

    /**
     * @param hosts  each host's topology, in host order
     * @param names  what each host was read from, for messages
     * @param memory per shard and per node, as for one host (the model split over all shards)
     */
    public static MultiHostPlan plan(List<Topology> hosts, List<String> names, NumaTensorParallelConfig config,
                                     ModelMemory memory) {
        int h = hosts.size();
        if (h == 0) {
            throw new PlanException("no host to plan for");
        }
        if (config.shards() < h) {
            throw new PlanException("--shards " + config.shards() + " over " + h + " hosts: every host needs at least"
                    + " one shard (give --shards " + h + " or more, or fewer hosts)");
        }
        if (!config.nodeAffinity().isEmpty()) {
            throw new PlanException("--node-affinity names shards of one host; it cannot be used with several hosts");
        }
        int[] cores = new int[h];
        for (int i = 0; i < h; i++) {
            cores[i] = Math.max(1, hosts.get(i).allowed().coreCount());
        }
        int[] shares = shares(config.shards(), cores);
        List<String> reasons = new ArrayList<>();
        StringBuilder why = new StringBuilder(String.format(Locale.ROOT,
                "%d shards over %d hosts in proportion to their allowed cores (", config.shards(), h));
        for (int i = 0; i < h; i++) {
            why.append(i == 0 ? "" : ", ").append("host ").append(i).append(": ").append(cores[i]).append(" cores -> ")
                    .append(shares[i]).append(shares[i] == 1 ? " shard" : " shards");
        }
        reasons.add(why.append("); each host's ranks are consecutive and its leader (first rank) joins the"
                + " cross-host allreduce").toString());
        List<MultiHostPlan.HostPlan> plans = new ArrayList<>();
        int first = 0;
        for (int i = 0; i < h; i++) {
            NumaTensorParallelConfig hostConfig = config.toBuilder().shards(shares[i]).build();
            PlacementPlan plan;
            try {
                plan = PlacementPlanner.plan(hosts.get(i), hostConfig, memory);
            } catch (NumatpException e) {
                throw new PlanException("host " + i + " (" + names.get(i) + "), ranks " + first + "-"
                        + (first + shares[i] - 1) + ": " + e.getMessage());
            }
            plans.add(new MultiHostPlan.HostPlan(i, names.get(i), first, plan));
            first += shares[i];
        }
        return new MultiHostPlan(plans, reasons);
    }

    /**
     * The ranks each host should get of {@code shards}, in proportion to its allowed cores (what
     * {@link #plan} gives each host; at least one each, largest remainders first).
     */
    public static int[] shardsPerHost(int shards, int[] allowedCores) {
        int[] cores = new int[allowedCores.length];
        for (int i = 0; i < cores.length; i++) {
            cores[i] = Math.max(1, allowedCores[i]);
        }
        return shares(shards, cores);
    }

    /** {@code total} split in proportion to {@code weights}, at least 1 each, largest remainders first. */
    static int[] shares(int total, int[] weights) {
        int n = weights.length;
        int[] out = new int[n];
        long sum = 0;
        for (int w : weights) {
            sum += w;
        }
        int rest = total - n; // one each first
        double[] remainder = new double[n];
        int given = 0;
        for (int i = 0; i < n; i++) {
            double exact = (double) rest * weights[i] / sum;
            out[i] = 1 + (int) Math.floor(exact);
            remainder[i] = exact - Math.floor(exact);
            given += out[i];
        }
        while (given < total) {
            int best = 0;
            for (int i = 1; i < n; i++) {
                if (remainder[i] > remainder[best] + 1e-12) {
                    best = i;
                }
            }
            out[best]++;
            remainder[best] = -1;
            given++;
        }
        return out;
    }
}
