package numatp.runtime.plan;

import numatp.runtime.config.ByteSize;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.Topology;
import numatp.topology.TopologyView;
import numatp.topology.pinning.CpuOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns a topology, a {@link NumaTensorParallelConfig} and a model's memory needs into
 * a {@link PlacementPlan}. Deterministic: the same inputs give the same plan.
 *
 * <p>Steps: choose the candidate nodes ({@code --numa-nodes}, each checked); find the
 * cheapest shard count per node ({@link CountSearch}, priced by {@link PlacementCost}),
 * or take the counts of a manual affinity as given; order the used nodes so that near
 * nodes are adjacent; give each node's shards consecutive ranks; lay each shard's
 * threads over its node's CPUs with the pinning policy ({@link CpuOrder}).
 */
public final class PlacementPlanner {
    private PlacementPlanner() {
    }

    public static PlacementPlan plan(Topology topology, NumaTensorParallelConfig config, ModelMemory memory) {
        TopologyView allowed = topology.allowed();
        List<NumaNode> candidates = CandidateNodes.choose(topology, config);
        PlacementProblem problem = problem(topology, candidates, config, memory);
        List<String> reasons = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        reasons.add(describeCandidates(problem, config, memory));
        for (NumaNode node : candidates) {
            if (!topology.allowedNodes().contains(node.id())) {
                reasons.add("node " + node.id() + "'s memory is not allowed to this process (cgroup cpuset.mems: "
                        + topology.allowedNodes().toListString() + "): counted as 0 B free, so its shards' weights"
                        + " and KV cache come from the allowed nodes");
            }
        }

        int[] best = CountSearch.best(problem);
        int[] counts;
        int[] rankNodePositions;
        if (config.nodeAffinity().isEmpty()) {
            if (best == null) {
                throw new PlanException(explainNoFit(problem));
            }
            counts = best;
            int[] order = collectiveOrder(problem, counts);
            rankNodePositions = consecutiveRanks(counts, order);
            reasons.add(describeChoice(problem, counts));
        } else {
            counts = new int[problem.size()];
            rankNodePositions = new int[config.shards()];
            for (var entry : config.nodeAffinity().entrySet()) {
                int position = position(problem, entry.getValue());
                counts[position]++;
                rankNodePositions[entry.getKey()] = position;
            }
            describeAffinity(problem, counts, best, rankNodePositions, reasons, warnings);
        }
        int[] order = collectiveOrder(problem, counts);
        List<ShardPlacement> shards = ShardCpus.assign(allowed, candidates, rankNodePositions, counts, config, reasons, warnings);
        boolean oversubscribed = warnings.stream().anyMatch(w -> w.contains("oversubscribed"));
        List<NodeBudget> nodes = budgets(problem, candidates, counts, order, rankNodePositions, memory, warnings);
        if (problem.shards > 1) {
            reasons.add(String.format(Locale.ROOT,
                    "expected cross-node share of allreduce traffic: %.0f%% (hierarchical: ring inside each node, "
                            + "slices exchanged across %d node%s)",
                    100 * problem.interNodeTrafficShare(counts), CountSearch.usedCount(counts),
                    CountSearch.usedCount(counts) == 1 ? "" : "s"));
        }
        return new PlacementPlan(config, shards, nodes, problem.interNodeTrafficShare(counts), problem.cost(counts),
                oversubscribed, reasons, warnings);
    }

    static PlacementProblem problem(Topology topology, List<NumaNode> candidates, NumaTensorParallelConfig config,
                                    ModelMemory memory) {
        TopologyView allowed = topology.allowed();
        int n = candidates.size();
        int[] ids = new int[n];
        int[] cores = new int[n];
        long[] free = new long[n];
        int[][] distances = new int[n][n];
        for (int i = 0; i < n; i++) {
            NumaNode node = candidates.get(i);
            ids[i] = node.id();
            cores[i] = Math.max(1, CpuOrder.coreCount(allowed, node.cpus()));
            free[i] = node.memFreeBytes();
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                distances[i][j] = topology.complete().distances().distance(ids[i], ids[j]);
            }
        }
        return new PlacementProblem(ids, cores, free, distances, config.shards(), config.interNodePenalty(),
                config.preferLocalMemory(), memory);
    }

    /** Used candidates by nearest neighbour from the lowest id, then unused ones ascending. */
    static int[] collectiveOrder(PlacementProblem problem, int[] counts) {
        int n = problem.size();
        int[] order = new int[n];
        boolean[] taken = new boolean[n];
        int k = 0;
        int current = -1;
        for (int i = 0; i < n && current < 0; i++) {
            if (counts[i] > 0) {
                current = i;
            }
        }
        while (current >= 0) {
            order[k++] = current;
            taken[current] = true;
            int next = -1;
            for (int i = 0; i < n; i++) {
                if (!taken[i] && counts[i] > 0
                        && (next < 0 || problem.distances[current][i] < problem.distances[current][next])) {
                    next = i;
                }
            }
            current = next;
        }
        for (int i = 0; i < n; i++) {
            if (!taken[i]) {
                order[k++] = i;
            }
        }
        return order;
    }

    private static int[] consecutiveRanks(int[] counts, int[] order) {
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        int[] rankNode = new int[total];
        int rank = 0;
        for (int position : order) {
            for (int s = 0; s < counts[position]; s++) {
                rankNode[rank++] = position;
            }
        }
        return rankNode;
    }

    private static int position(PlacementProblem problem, int nodeId) {
        for (int i = 0; i < problem.nodeIds.length; i++) {
            if (problem.nodeIds[i] == nodeId) {
                return i;
            }
        }
        throw new PlanException("node " + nodeId + " is not a candidate node");
    }

    private static List<NodeBudget> budgets(PlacementProblem problem, List<NumaNode> candidates, int[] counts, int[] order,
                                            int[] rankNodePositions, ModelMemory memory, List<String> warnings) {
        List<NodeBudget> nodes = new ArrayList<>();
        for (int position : order) {
            List<Integer> ranks = new ArrayList<>();
            for (int r = 0; r < rankNodePositions.length; r++) {
                if (rankNodePositions[r] == position) {
                    ranks.add(r);
                }
            }
            NodeBudget budget = new NodeBudget(problem.nodeIds[position],
                    IdSet.of(ranks.stream().mapToInt(Integer::intValue).toArray()), problem.cores[position],
                    memory.nodeBytes(counts[position]), candidates.get(position).memFreeBytes());
            if (!budget.fits()) {
                warnings.add("node " + budget.id() + " needs " + ByteSize.format(budget.memoryBudgetBytes()) + " but has "
                        + ByteSize.format(budget.memFreeBytes()) + " free: the rest will be allocated on other nodes");
            }
            nodes.add(budget);
        }
        return nodes;
    }

    private static String describeCandidates(PlacementProblem problem, NumaTensorParallelConfig config, ModelMemory memory) {
        StringBuilder out = new StringBuilder("candidate nodes ");
        out.append(config.numaNodes().isEmpty() ? "(every allowed node with CPUs): " : "(--numa-nodes): ");
        for (int i = 0; i < problem.size(); i++) {
            out.append(i == 0 ? "" : "; ").append("node ").append(problem.nodeIds[i]).append(' ')
                    .append(problem.cores[i]).append(problem.cores[i] == 1 ? " core, " : " cores, ").append(ByteSize.format(problem.memFreeBytes[i])).append(" free");
        }
        if (memory.perShardBytes() > 0 || memory.replicatedPerNodeBytes() > 0) {
            out.append("; the model needs ").append(ByteSize.format(memory.perShardBytes())).append(" per shard");
            if (memory.replicatedPerNodeBytes() > 0) {
                out.append(" + ").append(ByteSize.format(memory.replicatedPerNodeBytes())).append(" per node");
            }
        }
        return out.toString();
    }

    private static String describeChoice(PlacementProblem problem, int[] counts) {
        PlacementCost chosen = problem.cost(counts);
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "placed %s: balance %.2f, cross-node %.2f, cost %.3f at penalty %.2f",
                describeCounts(problem, counts), chosen.balance(), chosen.crossNode(), chosen.total(), problem.penalty));
        int used = CountSearch.usedCount(counts);
        // Name the best alternative with a different number of nodes, so the trade-off is visible.
        int[][] bySize = CountSearch.bestByNodeCount(problem);
        int[] alternative = null;
        for (int size = 1; size < bySize.length; size++) {
            if (size != used && bySize[size] != null
                    && (alternative == null || problem.cost(bySize[size]).total() < problem.cost(alternative).total())) {
                alternative = bySize[size];
            }
        }
        if (alternative != null) {
            PlacementCost cost = problem.cost(alternative);
            out.append(String.format(Locale.ROOT, "; best alternative %s costs %.3f (balance %.2f, cross-node %.2f)",
                    describeCounts(problem, alternative), cost.total(), cost.balance(), cost.crossNode()));
        }
        return out.toString();
    }

    private static void describeAffinity(PlacementProblem problem, int[] counts, int[] best, int[] rankNodePositions,
                                         List<String> reasons, List<String> warnings) {
        PlacementCost manual = problem.cost(counts);
        StringBuilder out = new StringBuilder("manual --node-affinity honoured: ").append(describeCounts(problem, counts));
        if (manual.feasible()) {
            out.append(String.format(Locale.ROOT, ", cost %.3f", manual.total()));
        } else {
            warnings.add("--node-affinity puts more shards on a node than its free memory holds");
        }
        if (best != null) {
            PlacementCost automatic = problem.cost(best);
            out.append(String.format(Locale.ROOT, "; the planner's choice %s costs %.3f", describeCounts(problem, best),
                    automatic.total()));
            if (manual.feasible() && manual.total() > automatic.total() + PlacementCost.TIE) {
                out.append(String.format(Locale.ROOT, " (manual is %.0f%% more)",
                        100 * (manual.total() / automatic.total() - 1)));
            }
        }
        reasons.add(out.toString());
        for (int r = 1; r < rankNodePositions.length; r++) {
            int position = rankNodePositions[r];
            for (int earlier = 0; earlier < r - 1; earlier++) {
                if (rankNodePositions[earlier] == position && rankNodePositions[r - 1] != position) {
                    warnings.add("--node-affinity gives node " + problem.nodeIds[position]
                            + " non-consecutive ranks: the intra-node ring will cross nodes");
                    return;
                }
            }
        }
    }

    static String describeCounts(PlacementProblem problem, int[] counts) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0) {
                out.append(out.isEmpty() ? "" : " + ").append(counts[i]).append(counts[i] == 1 ? " shard" : " shards")
                        .append(" on node ").append(problem.nodeIds[i]);
            }
        }
        return out.toString();
    }

    private static String explainNoFit(PlacementProblem problem) {
        StringBuilder out = new StringBuilder("no placement of ").append(problem.shards).append(" shards fits in memory: the model needs ")
                .append(ByteSize.format(problem.memory.perShardBytes())).append(" per shard");
        if (problem.memory.replicatedPerNodeBytes() > 0) {
            out.append(" + ").append(ByteSize.format(problem.memory.replicatedPerNodeBytes())).append(" per node");
        }
        int capacity = 0;
        for (int i = 0; i < problem.size(); i++) {
            int fit = problem.capacity(i);
            capacity += fit;
            out.append(i == 0 ? "; " : ", ").append("node ").append(problem.nodeIds[i]).append(" has ")
                    .append(ByteSize.format(problem.memFreeBytes[i])).append(" free (").append(fit)
                    .append(fit == 1 ? " shard)" : " shards)");
        }
        out.append("; ").append(capacity).append(" of ").append(problem.shards)
                .append(" shards fit. Free memory, add nodes with --numa-nodes, use more shards, or allow remote memory"
                        + " with --numa-prefer-local-memory=false");
        return out.toString();
    }
}
