package numatp.runtime.plan;

import numatp.runtime.config.ByteSize;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.Distances;
import numatp.topology.IdSet;
import numatp.topology.NumaNode;
import numatp.topology.NumatpException;
import numatp.topology.Topology;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chooses the layout: how many replicas (independent engines) serve the model and how many
 * tensor-parallel shards each has, then places each replica with {@link PlacementPlanner}.
 *
 * <p>{@code --replicas 1} gives exactly {@link PlacementPlanner}'s plan. {@code --replicas N}
 * gives N replicas of {@code --shards} shards: with at least N candidate nodes each replica
 * gets its own group of nodes (the grouping {@link LayoutCostModel} prices fastest; near
 * nodes end up together because cross-node allreduces cost by SLIT distance); with fewer,
 * replicas share nodes, each on its own whole cores of a node ({@link NodeSlices}), and the
 * node's free memory is budgeted for all of them. {@code --replicas auto} prices every layout
 * R x K in its space (below) at the expected concurrency and keeps the fastest.
 *
 * <p>Layout space: R from 1 to the candidate nodes, each partition of the candidates into R
 * groups (every partition up to {@link #EXHAUSTIVE_PARTITION_NODES} candidates; beyond that,
 * the nearest-neighbour chain of nodes cut into R runs of near-equal length), and K from 1
 * to {@link #shardLimit} (and the model's query heads); plus, when concurrency allows, every node split into s replicas of
 * its own cores (R = nodes x s). In auto, R never exceeds the expected concurrency: a
 * replica without a request adds nothing.
 */
public final class ReplicaPlanner {
    /** Up to this many candidate nodes, every partition of them into replica groups is priced. */
    static final int EXHAUSTIVE_PARTITION_NODES = 6;
    /** Shards per replica tried in auto: up to max(2 x the group's nodes, this), within its cores. */
    static final int MIN_SHARD_LIMIT = 8;

    /** Most tokens/s at the expected concurrency first, then most alone, most when busy, fewest replicas, shards. */
    private static final Comparator<LayoutEstimate> FASTEST_FIRST = Comparator
            .comparingDouble(LayoutEstimate::tokensPerSecond).reversed()
            .thenComparing(Comparator.comparingDouble(LayoutEstimate::batchOneTokensPerSecond).reversed())
            .thenComparing(Comparator.comparingDouble(LayoutEstimate::busyTokensPerSecond).reversed())
            .thenComparingInt(LayoutEstimate::replicas)
            .thenComparingInt(LayoutEstimate::shardsPerReplica)
            .thenComparing(LayoutEstimate::splitsNodes);

    private ReplicaPlanner() {
    }

    /** {@code memory} is the model's need at {@code config.shards()} shards; other counts are derived from it. */
    public static ReplicaPlan plan(Topology topology, NumaTensorParallelConfig config, ModelMemory memory) {
        return plan(topology, config, ModelProfile.of(memory, config.shards()));
    }

    /** The plan for a command that does not serve: a left-out {@code --expected-concurrency} means 1. */
    public static ReplicaPlan plan(Topology topology, NumaTensorParallelConfig config, ModelProfile model) {
        return plan(topology, config, model, 1);
    }

    /**
     * The plan with {@code derivedConcurrency} standing for a left-out {@code --expected-concurrency}
     * ({@code tp serve} passes its {@code --max-batch}).
     */
    public static ReplicaPlan plan(Topology topology, NumaTensorParallelConfig config, ModelProfile model,
                                   int derivedConcurrency) {
        int concurrency = config.expectedConcurrencyOr(derivedConcurrency);
        if (config.replicas() == 1) {
            PlacementPlan plan = PlacementPlanner.plan(topology, config, model.memoryForShards().apply(config.shards()));
            Layout layout = new Search(topology, config, model, concurrency).price(List.of(plan), false, "");
            List<String> reasons = new ArrayList<>();
            reasons.add(describeModel(model, concurrency, config));
            reasons.add("1 replica (--replicas 1): " + layout.estimate.describeWithSpeed());
            return new ReplicaPlan(config, List.of(plan), layout.estimate, null, List.of(layout.estimate), reasons,
                    List.of());
        }
        Search search = new Search(topology, config, model, concurrency);
        return config.autoReplicas() ? search.auto() : search.fixed(config.replicas());
    }

    /** The most shards tried for a replica on {@code nodes} nodes with {@code cores} cores. */
    static int shardLimit(int nodes, int cores, ModelProfile model) {
        return Math.max(1, Math.min(Math.min(cores, model.maxShards()), Math.max(2 * nodes, MIN_SHARD_LIMIT)));
    }

    private static String describeModel(ModelProfile model, int concurrency, NumaTensorParallelConfig config) {
        String size = model.sizeKnown()
                ? String.format(Locale.ROOT, "model %s of weights, ~%d layers, hidden ~%d", ByteSize.format(model.weightBytes()),
                model.layers(), model.hiddenSize())
                : "model size not given (--model or --model-bytes): speeds assume "
                + ByteSize.format(LayoutCostModel.ASSUMED_MODEL_BYTES) + " of weights and memory is not checked";
        return size + String.format(Locale.ROOT, "; expected concurrency %d%s", concurrency,
                config.expectedConcurrency() == NumaTensorParallelConfig.DERIVED_CONCURRENCY
                        ? " (derived: tp serve's --max-batch, 1 elsewhere; --expected-concurrency sets it)"
                        : " (--expected-concurrency)");
    }

    /** "+12%", "-40%", or "same" when the two round to the same percent. */
    static String change(double value, double reference) {
        long percent = Math.round(100 * (value / reference - 1));
        return percent == 0 ? "same" : String.format(Locale.ROOT, "%+d%%", percent);
    }

    /** A replica's group of nodes and its shard count. */
    private record GroupKey(IdSet nodes, int shards) {
    }

    /** A priced layout: its replicas' plans and the estimate. */
    record Layout(List<PlacementPlan> plans, LayoutEstimate estimate, String placement) {
    }

    /** The search over layouts for one topology, config, model and concurrency. */
    static final class Search {
        private final Topology topology;
        private final NumaTensorParallelConfig config;
        private final ModelProfile model;
        private final int concurrency;
        final List<NumaNode> candidates;
        final int[] cores;
        private final int[] chain;
        private final Distances distances;
        /** A group's plan for K shards, or the message of why it does not fit. */
        private final Map<GroupKey, Object> groupPlans = new HashMap<>();
        private final Map<String, Layout> bestByShape = new LinkedHashMap<>();
        private String lastFailure;
        /** Why the most spread one-engine layout tried did not fit. */
        private String oneEngineFailure;

        Search(Topology topology, NumaTensorParallelConfig config, ModelProfile model, int concurrency) {
            this.topology = topology;
            this.config = config;
            this.model = model;
            this.concurrency = concurrency;
            this.candidates = CandidateNodes.choose(topology, config);
            this.distances = topology.complete().distances();
            this.cores = new int[candidates.size()];
            for (int i = 0; i < cores.length; i++) {
                cores[i] = NodeSlices.cores(topology, candidates.get(i).id()).size();
            }
            this.chain = chain();
        }

        ReplicaPlan auto() {
            int n = candidates.size();
            Layout best = null;
            for (int r = 1; r <= n && (r == 1 || r <= concurrency); r++) {
                for (int[][] groups : partitions(r)) {
                    int limit = Integer.MAX_VALUE;
                    for (int[] group : groups) {
                        limit = Math.min(limit, shardLimit(group.length, groupCores(group), model));
                    }
                    for (int k = 1; k <= limit; k++) {
                        Layout layout = groups(groups, k);
                        if (layout == null && r == 1) {
                            oneEngineFailure = "one engine of " + k + (k == 1 ? " shard" : " shards") + " over nodes "
                                    + ids(groups[0]).toListString() + ": " + lastFailure;
                        }
                        best = keep(best, layout);
                    }
                }
            }
            int minCores = Integer.MAX_VALUE;
            for (int c : cores) {
                minCores = Math.min(minCores, c);
            }
            for (int s = 2; s <= minCores && (long) n * s <= concurrency; s++) {
                int[] perNode = new int[n];
                Arrays.fill(perNode, s);
                int limit = shardLimit(1, minCores / s, model);
                for (int k = 1; k <= limit; k++) {
                    best = keep(best, slices(perNode, k));
                }
            }
            if (best == null) {
                throw new PlanException("no layout fits in memory, not even " + oneEngineFailure);
            }
            LayoutEstimate chosen = LayoutEstimate.choose(bestByShape.values().stream().map(Layout::estimate).toList());
            for (Layout layout : bestByShape.values()) {
                if (layout.estimate == chosen) {
                    best = layout;
                }
            }
            return finish(best, true);
        }

        ReplicaPlan fixed(int replicas) {
            int n = candidates.size();
            int k = config.shards();
            Layout best = null;
            if (replicas <= n) {
                for (int[][] groups : partitions(replicas)) {
                    best = keep(best, groups(groups, k));
                }
            } else {
                int[] perNode = new int[n];
                for (int i = 0; i < replicas; i++) {
                    perNode[chain[i % n]]++;
                }
                for (int i = 0; i < n; i++) {
                    if (perNode[i] > cores[i]) {
                        throw new PlanException("--replicas " + replicas + " over " + n + " node" + (n == 1 ? "" : "s")
                                + " puts " + perNode[i] + " replicas on node " + candidates.get(i).id()
                                + ", which has only " + cores[i] + " allowed core" + (cores[i] == 1 ? "" : "s")
                                + ": every replica needs a core of its own");
                    }
                }
                best = keep(best, slices(perNode, k));
            }
            if (best == null) {
                throw new PlanException("--replicas " + replicas + " x --shards " + k + " does not fit: " + lastFailure);
            }
            return finish(best, false);
        }

        private Layout keep(Layout best, Layout candidate) {
            if (candidate == null) {
                return best;
            }
            String shape = candidate.estimate.replicas() + "x" + candidate.estimate.shardsPerReplica()
                    + (candidate.estimate.splitsNodes() ? "s" : "");
            Layout incumbent = bestByShape.get(shape);
            if (incumbent == null || candidate.estimate.betterThan(incumbent.estimate)) {
                bestByShape.put(shape, candidate);
            }
            return best == null || candidate.estimate.betterThan(best.estimate) ? candidate : best;
        }

        private ReplicaPlan finish(Layout chosen, boolean auto) {
            List<LayoutEstimate> considered = bestByShape.values().stream().map(Layout::estimate)
                    .sorted(FASTEST_FIRST).toList();
            LayoutEstimate alternative = null;
            // the other side of the question: one engine if replicas were chosen, replicas if one engine
            for (LayoutEstimate e : considered) {
                if ((e.replicas() == 1) != (chosen.estimate.replicas() == 1) && alternative == null) {
                    alternative = e;
                }
            }
            if (alternative == null) {
                for (LayoutEstimate e : considered) {
                    if (e != chosen.estimate && alternative == null) {
                        alternative = e;
                    }
                }
            }
            List<String> reasons = new ArrayList<>();
            List<String> warnings = new ArrayList<>();
            reasons.add(describeModel(model, concurrency, config));
            reasons.add(describeFit());
            StringBuilder choice = new StringBuilder(auto ? "chose " : "--replicas " + config.replicas() + " x --shards "
                    + config.shards() + ": ");
            choice.append(chosen.estimate.describeWithSpeed());
            if (alternative != null) {
                choice.append(String.format(Locale.ROOT, "; best alternative %s (%s tok/s at concurrency %d, %s"
                                + " for one sequence)", alternative.describeWithSpeed(),
                        change(alternative.tokensPerSecond(), chosen.estimate.tokensPerSecond()), concurrency,
                        change(alternative.batchOneTokensPerSecond(), chosen.estimate.batchOneTokensPerSecond())));
            }
            reasons.add(choice.toString());
            LayoutEstimate fastest = considered.getFirst();
            if (auto && fastest != chosen.estimate) {
                reasons.add(String.format(Locale.ROOT, "%s is the fastest at concurrency %d, but only %.1f%% ahead"
                                + " (within the model's %.0f%% precision), and %s is %.0f%% faster for one sequence",
                        fastest.describe(), concurrency, 100 * (fastest.tokensPerSecond() / chosen.estimate.tokensPerSecond() - 1),
                        100 * LayoutCostModel.NEAR_TIE, chosen.estimate.describe(),
                        100 * (chosen.estimate.batchOneTokensPerSecond() / fastest.batchOneTokensPerSecond() - 1)));
            }
            reasons.add(describeCosts(chosen));
            if (!chosen.placement.isEmpty()) {
                reasons.add(chosen.placement);
            }
            if (auto && concurrency == 1 && config.expectedConcurrency() == NumaTensorParallelConfig.DERIVED_CONCURRENCY) {
                warnings.add("--replicas auto with concurrency 1 optimises one sequence's speed; give"
                        + " --expected-concurrency for a server");
            }
            return new ReplicaPlan(config, introduced(chosen.plans, auto), chosen.estimate, alternative, considered,
                    reasons, warnings);
        }

        /** Each replica's plan with a first reason saying which part of the machine the layout gave it. */
        private List<PlacementPlan> introduced(List<PlacementPlan> plans, boolean auto) {
            List<PlacementPlan> out = new ArrayList<>(plans.size());
            String by = auto ? "--replicas auto" : "--replicas " + config.replicas();
            for (int i = 0; i < plans.size(); i++) {
                PlacementPlan p = plans.get(i);
                IdSet cpus = IdSet.empty();
                for (ShardPlacement shard : p.shards()) {
                    cpus = cpus.union(shard.cpus());
                }
                List<String> reasons = new ArrayList<>();
                reasons.add(String.format(Locale.ROOT, "replica %d of %d (%s): nodes %s, CPUs %s; the candidate nodes"
                                + " below are the ones the layout gave this replica", i, plans.size(), by,
                        p.config().numaNodes().toListString(), cpus.toListString()));
                reasons.addAll(p.reasons());
                out.add(new PlacementPlan(p.config(), p.shards(), p.nodes(), p.interNodeTrafficShare(), p.cost(),
                        p.oversubscribed(), reasons, p.warnings()));
            }
            return out;
        }

        private String describeFit() {
            ModelMemory one = model.memoryForShards().apply(1);
            long needed = one.nodeBytes(1);
            if (!model.sizeKnown() || needed == 0) {
                return "memory: not checked (no model size)";
            }
            StringBuilder fits = new StringBuilder();
            long largest = 0;
            for (NumaNode node : candidates) {
                largest = Math.max(largest, node.memFreeBytes());
                if (node.memFreeBytes() >= needed) {
                    fits.append(fits.isEmpty() ? "" : ",").append(node.id());
                }
            }
            if (!config.preferLocalMemory()) {
                return "memory: one copy needs " + ByteSize.format(needed)
                        + "; --numa-prefer-local-memory=false lets shards take memory from any node";
            }
            return fits.isEmpty()
                    ? "memory: one copy needs " + ByteSize.format(needed) + ", more than any node has free (largest "
                    + ByteSize.format(largest) + "): the model must be split over nodes (tensor parallelism across nodes)"
                    : "memory: one copy needs " + ByteSize.format(needed) + "; nodes that hold a whole copy: "
                    + fits + " (largest free " + ByteSize.format(largest) + ")";
        }

        /** The chosen layout's step time, term by term, for one sequence on replica 0. */
        private String describeCosts(Layout chosen) {
            LayoutCostModel.ReplicaSpeed speed = LayoutCostModel.speed(chosen.plans.getFirst(), distances, model);
            return String.format(Locale.ROOT, "per token on replica 0 (one sequence): %.1f µs streaming weights at"
                            + " %.0f GB/s per core, %.1f µs of team barriers and allreduces, %.1f µs of cross-node"
                            + " allreduce bytes; each further sequence in a step adds %.1f µs of compute",
                    speed.bandwidthNs() / 1e3, LayoutCostModel.CORE_BANDWIDTH_BYTES_PER_S / 1e9, speed.syncNs() / 1e3,
                    speed.crossNsPerSequence() / 1e3, speed.computeNsPerSequence() / 1e3);
        }

        /** One replica per group, K shards each; null when one does not fit. */
        Layout groups(int[][] groups, int k) {
            List<PlacementPlan> plans = new ArrayList<>(groups.length);
            StringBuilder placement = new StringBuilder();
            for (int i = 0; i < groups.length; i++) {
                PlacementPlan plan = groupPlan(groups[i], k);
                if (plan == null) {
                    return null;
                }
                plans.add(plan);
                if (groups.length > 1) {
                    placement.append(i == 0 ? "replica nodes: " : "; ").append(i).append(": ")
                            .append(ids(groups[i]).toListString()).append(" (uses ")
                            .append(usedNodes(plan).toListString()).append(')');
                }
            }
            return price(plans, false, placement.toString());
        }

        private PlacementPlan groupPlan(int[] group, int k) {
            GroupKey key = new GroupKey(ids(group), k);
            Object cached = groupPlans.get(key);
            if (cached == null) {
                NumaTensorParallelConfig replica = config.toBuilder().replicas(1).shards(k).numaNodes(ids(group)).build();
                try {
                    cached = PlacementPlanner.plan(topology, replica, model.memoryForShards().apply(k));
                } catch (NumatpException e) {
                    cached = e.getMessage();
                }
                groupPlans.put(key, cached);
            }
            if (cached instanceof PlacementPlan plan) {
                return plan;
            }
            lastFailure = (String) cached;
            return null;
        }

        /** {@code perNode[i]} replicas on candidate i, each on its own cores of it, K shards each; null when one does not fit. */
        Layout slices(int[] perNode, int k) {
            List<PlacementPlan> plans = new ArrayList<>();
            StringBuilder placement = new StringBuilder();
            ModelMemory memory = model.memoryForShards().apply(k);
            for (int i = 0; i < perNode.length; i++) {
                if (perNode[i] == 0) {
                    continue;
                }
                int node = candidates.get(i).id();
                List<IdSet> slices;
                try {
                    slices = NodeSlices.split(topology, node, perNode[i]);
                } catch (PlanException e) {
                    lastFailure = e.getMessage();
                    return null;
                }
                long reserved = 0;
                int first = plans.size();
                for (IdSet cpus : slices) {
                    Topology own = NodeSlices.restrict(topology, cpus, node, reserved);
                    NumaTensorParallelConfig replica = config.toBuilder().replicas(1).shards(k).numaNodes(node).build();
                    PlacementPlan plan;
                    try {
                        plan = PlacementPlanner.plan(own, replica, memory);
                    } catch (NumatpException e) {
                        lastFailure = "replica " + plans.size() + " on node " + node + " (CPUs " + cpus.toListString()
                                + ", after " + ByteSize.format(reserved) + " for the replicas before it): " + e.getMessage();
                        return null;
                    }
                    reserved += memory.nodeBytes(k);
                    plans.add(plan);
                }
                placement.append(placement.isEmpty() ? "" : "; ").append(String.format(Locale.ROOT,
                        "replicas %d-%d share node %d, CPUs %s; its %s free is budgeted for all of them (%s each)",
                        first, plans.size() - 1, node, describeSlices(slices),
                        ByteSize.format(candidates.get(i).memFreeBytes()), ByteSize.format(memory.nodeBytes(k))));
            }
            return price(plans, true, placement.toString());
        }

        /**
         * Prices replicas serving the expected concurrency: each gets ⌊C/R⌋ sequences and the
         * C mod R left over go to the fastest (so the price does not depend on replica order).
         */
        Layout price(List<PlacementPlan> plans, boolean splitsNodes, String placement) {
            int r = plans.size();
            LayoutCostModel.ReplicaSpeed[] speeds = new LayoutCostModel.ReplicaSpeed[r];
            Integer[] fastestFirst = new Integer[r];
            int nodesPerReplica = 0;
            for (int i = 0; i < r; i++) {
                speeds[i] = LayoutCostModel.speed(plans.get(i), distances, model);
                fastestFirst[i] = i;
                nodesPerReplica = Math.max(nodesPerReplica, plans.get(i).usedNodes().size());
            }
            Arrays.sort(fastestFirst, (a, b) -> Double.compare(speeds[a].stepNs(1), speeds[b].stepNs(1)));
            double tokens = 0;
            double alone = 0;
            double busy = 0;
            int busyConcurrency = concurrency * LayoutEstimate.BUSY_FACTOR;
            for (int rank = 0; rank < r; rank++) {
                LayoutCostModel.ReplicaSpeed speed = speeds[fastestFirst[rank]];
                tokens += speed.tokensPerSecond(concurrency / r + (rank < concurrency % r ? 1 : 0));
                busy += speed.tokensPerSecond(busyConcurrency / r + (rank < busyConcurrency % r ? 1 : 0));
                alone = Math.max(alone, speed.tokensPerSecond(1));
            }
            LayoutEstimate estimate = new LayoutEstimate(r, plans.getFirst().shards().size(), nodesPerReplica,
                    splitsNodes, concurrency, tokens, alone, busy);
            return new Layout(plans, estimate, placement);
        }

        /** Partitions of the candidates into {@code r} groups: all of them for few nodes, else chain runs. */
        private List<int[][]> partitions(int r) {
            int n = candidates.size();
            List<int[][]> out = new ArrayList<>();
            if (n <= EXHAUSTIVE_PARTITION_NODES) {
                partitions(new int[n], 0, 0, r, out);
                return out;
            }
            int[][] groups = new int[r][];
            int next = 0;
            for (int g = 0; g < r; g++) {
                int size = n / r + (g < n % r ? 1 : 0);
                groups[g] = new int[size];
                for (int i = 0; i < size; i++) {
                    groups[g][i] = chain[next++];
                }
                Arrays.sort(groups[g]);
            }
            out.add(groups);
            return out;
        }

        /** Restricted growth strings: {@code label[i]} is candidate i's group, groups numbered by first member. */
        private static void partitions(int[] label, int i, int used, int r, List<int[][]> out) {
            int n = label.length;
            if (i == n) {
                if (used == r) {
                    int[][] groups = new int[r][];
                    for (int g = 0; g < r; g++) {
                        int size = 0;
                        for (int l : label) {
                            size += l == g ? 1 : 0;
                        }
                        groups[g] = new int[size];
                        for (int p = 0, k = 0; p < n; p++) {
                            if (label[p] == g) {
                                groups[g][k++] = p;
                            }
                        }
                    }
                    out.add(groups);
                }
                return;
            }
            if (used + (n - i) < r) {
                return;
            }
            for (int g = 0; g <= Math.min(used, r - 1); g++) {
                label[i] = g;
                partitions(label, i + 1, Math.max(used, g + 1), r, out);
            }
        }

        /** Candidate positions by nearest neighbour (SLIT) from the first candidate. */
        private int[] chain() {
            int n = candidates.size();
            int[] order = new int[n];
            boolean[] taken = new boolean[n];
            int current = 0;
            for (int k = 0; k < n; k++) {
                order[k] = current;
                taken[current] = true;
                int next = -1;
                for (int i = 0; i < n; i++) {
                    if (!taken[i] && (next < 0 || distance(current, i) < distance(current, next))) {
                        next = i;
                    }
                }
                current = next;
            }
            return order;
        }

        private int distance(int a, int b) {
            return distances.distance(candidates.get(a).id(), candidates.get(b).id());
        }

        private int groupCores(int[] group) {
            int sum = 0;
            for (int p : group) {
                sum += cores[p];
            }
            return sum;
        }

        private IdSet ids(int[] group) {
            int[] ids = new int[group.length];
            for (int i = 0; i < group.length; i++) {
                ids[i] = candidates.get(group[i]).id();
            }
            return IdSet.of(ids);
        }

        private static IdSet usedNodes(PlacementPlan plan) {
            return IdSet.of(plan.usedNodes().stream().mapToInt(NodeBudget::id).toArray());
        }

        private static String describeSlices(List<IdSet> slices) {
            StringBuilder out = new StringBuilder();
            for (IdSet s : slices) {
                out.append(out.isEmpty() ? "" : " | ").append(s.toListString());
            }
            return out.toString();
        }
    }
}
