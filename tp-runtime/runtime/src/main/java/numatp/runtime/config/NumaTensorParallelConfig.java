package numatp.runtime.config;

import numatp.models.tp.Reduction;
import numatp.topology.IdSet;
import numatp.topology.pinning.PinningPolicy;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How tensor parallelism should use the machine. The same names are used by the CLI
 * flags, the JSON file ({@link ConfigJson}) and the {@link Builder}; the messages of
 * validation errors name the CLI flag and the bad value.
 *
 * @param shards              number of tensor-parallel shards ({@code --shards}), >= 1
 * @param numaNodes           nodes to use ({@code --numa-nodes}); empty means every allowed
 *                            node that has allowed CPUs
 * @param interNodePenalty    weight of cross-node traffic against compute balance
 *                            ({@code --numa-inter-node-penalty}), in [0, 1]: 0 spreads for
 *                            bandwidth, 1 packs onto as few and as close nodes as fit
 * @param preferLocalMemory   a node must hold its shards' weights and KV cache in its own
 *                            free memory ({@code --numa-prefer-local-memory})
 * @param nodeAffinity        manual shard → node map ({@code --node-affinity 0:0,1:1}); empty
 *                            means the planner decides; otherwise it names every shard
 * @param pinningPolicy       how shard threads are laid over a node's CPUs ({@code --pinning})
 * @param threadsPerShard     threads per shard ({@code --threads-per-shard}); 0 means the
 *                            node's allowed cores divided among its shards
 * @param idleStrategy        how threads wait in collectives ({@code --idle-strategy})
 * @param collectiveAlgorithm allreduce algorithm ({@code --collective-algorithm})
 * @param collectiveTimeout   how long a collective waits for a missing peer
 *                            ({@code --collective-timeout-ms})
 * @param workers             where shards run ({@code --workers}): thread teams in this JVM, or
 *                            one worker process per planned node
 * @param workersPerNode      worker processes per planned node ({@code --workers-per-node}), >= 1,
 *                            each holding consecutive shards of the node; more than 1 tests the
 *                            process layout on a one-node machine (only with {@code processes})
 * @param reduction           how shards' partial sums are added ({@code --reduction}): fast
 *                            (f32, last bits depend on the shard count) or exact (bitwise the
 *                            same logits for every shard count; see {@link Reduction})
 */
public record NumaTensorParallelConfig(int shards,
                                       IdSet numaNodes,
                                       double interNodePenalty,
                                       boolean preferLocalMemory,
                                       SortedMap<Integer, Integer> nodeAffinity,
                                       PinningPolicy pinningPolicy,
                                       int threadsPerShard,
                                       IdleStrategyKind idleStrategy,
                                       CollectiveAlgorithmKind collectiveAlgorithm,
                                       Duration collectiveTimeout,
                                       WorkerLayout workers,
                                       int workersPerNode,
                                       Reduction reduction,
                                       int replicas,
                                       int expectedConcurrency) {
    public static final double DEFAULT_INTER_NODE_PENALTY = 0.3;
    public static final Duration DEFAULT_COLLECTIVE_TIMEOUT = Duration.ofSeconds(30);
    /** More shards than this is refused as a typo rather than planned. */
    public static final int MAX_SHARDS = 4096;
    /** More worker processes per node than this is refused as a typo. */
    public static final int MAX_WORKERS_PER_NODE = 64;
    /** {@code --replicas auto}: the planner chooses the number of replicas and their shards. */
    public static final int AUTO_REPLICAS = 0;
    /** More replicas than this is refused as a typo. */
    public static final int MAX_REPLICAS = 1024;
    /** {@code --expected-concurrency} left out: derived from {@code --max-batch}, or 1. */
    public static final int DERIVED_CONCURRENCY = 0;
    /** More concurrent requests than this is refused as a typo. */
    public static final int MAX_EXPECTED_CONCURRENCY = 1 << 20;

    public NumaTensorParallelConfig {
        if (shards < 1 || shards > MAX_SHARDS) {
            throw new ConfigException("--shards must be in [1, " + MAX_SHARDS + "]: " + shards);
        }
        numaNodes = numaNodes == null ? IdSet.empty() : numaNodes;
        if (!(interNodePenalty >= 0 && interNodePenalty <= 1)) {
            throw new ConfigException("--numa-inter-node-penalty must be in [0, 1]: " + interNodePenalty);
        }
        nodeAffinity = Collections.unmodifiableSortedMap(new TreeMap<>(nodeAffinity == null ? Map.of() : nodeAffinity));
        if (!nodeAffinity.isEmpty()) {
            for (Map.Entry<Integer, Integer> entry : nodeAffinity.entrySet()) {
                if (entry.getKey() < 0 || entry.getKey() >= shards) {
                    throw new ConfigException("--node-affinity names shard " + entry.getKey()
                            + ", but shards are 0.." + (shards - 1) + " (--shards " + shards + ")");
                }
                if (entry.getValue() < 0) {
                    throw new ConfigException("--node-affinity maps shard " + entry.getKey()
                            + " to node " + entry.getValue() + ": node ids are >= 0");
                }
                if (!numaNodes.isEmpty() && !numaNodes.contains(entry.getValue())) {
                    throw new ConfigException("--node-affinity maps shard " + entry.getKey() + " to node "
                            + entry.getValue() + ", which is not in --numa-nodes " + numaNodes.toListString());
                }
            }
            if (nodeAffinity.size() != shards) {
                IdSet missing = IdSet.range(0, shards - 1).minus(IdSet.of(
                        nodeAffinity.keySet().stream().mapToInt(Integer::intValue).toArray()));
                throw new ConfigException("--node-affinity must name every shard 0.." + (shards - 1)
                        + "; missing: " + missing.toListString());
            }
        }
        if (pinningPolicy == null) {
            pinningPolicy = PinningPolicy.SCATTER;
        }
        if (threadsPerShard < 0 || threadsPerShard > 4096) {
            throw new ConfigException("--threads-per-shard must be in [0, 4096] (0 = automatic): " + threadsPerShard);
        }
        if (idleStrategy == null) {
            idleStrategy = IdleStrategyKind.AUTO;
        }
        if (collectiveAlgorithm == null) {
            collectiveAlgorithm = CollectiveAlgorithmKind.AUTO;
        }
        if (collectiveTimeout == null) {
            collectiveTimeout = DEFAULT_COLLECTIVE_TIMEOUT;
        }
        if (collectiveTimeout.isNegative() || collectiveTimeout.isZero()) {
            throw new ConfigException("--collective-timeout-ms must be > 0: " + collectiveTimeout.toMillis());
        }
        if (workers == null) {
            workers = WorkerLayout.THREADS;
        }
        if (workersPerNode < 1 || workersPerNode > MAX_WORKERS_PER_NODE) {
            throw new ConfigException("--workers-per-node must be in [1, " + MAX_WORKERS_PER_NODE + "]: "
                    + workersPerNode);
        }
        if (workersPerNode > 1 && workers != WorkerLayout.PROCESSES) {
            throw new ConfigException("--workers-per-node " + workersPerNode + " needs --workers processes");
        }
        if (reduction == null) {
            reduction = Reduction.FAST;
        }
        if (replicas < 0 || replicas > MAX_REPLICAS) {
            throw new ConfigException("--replicas must be auto or in [1, " + MAX_REPLICAS + "]: " + replicas);
        }
        if (replicas != 1 && !nodeAffinity.isEmpty()) {
            throw new ConfigException("--node-affinity names the shards of one engine; it cannot be combined with --replicas "
                    + (replicas == AUTO_REPLICAS ? "auto" : Integer.toString(replicas)));
        }
        if (expectedConcurrency < 0 || expectedConcurrency > MAX_EXPECTED_CONCURRENCY) {
            throw new ConfigException("--expected-concurrency must be in [1, " + MAX_EXPECTED_CONCURRENCY
                    + "] (or left out to derive it): " + expectedConcurrency);
        }
    }

    /** Whether the planner chooses the number of replicas ({@code --replicas auto}). */
    public boolean autoReplicas() {
        return replicas == AUTO_REPLICAS;
    }

    /** {@link #expectedConcurrency}, or {@code derived} when it was left out (0). */
    public int expectedConcurrencyOr(int derived) {
        return expectedConcurrency == DERIVED_CONCURRENCY ? Math.max(1, derived) : expectedConcurrency;
    }

    /** The defaults with {@code shards} shards. */
    public static NumaTensorParallelConfig ofShards(int shards) {
        return builder().shards(shards).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder()
                .shards(shards)
                .numaNodes(numaNodes)
                .interNodePenalty(interNodePenalty)
                .preferLocalMemory(preferLocalMemory)
                .nodeAffinity(nodeAffinity)
                .pinningPolicy(pinningPolicy)
                .threadsPerShard(threadsPerShard)
                .idleStrategy(idleStrategy)
                .collectiveAlgorithm(collectiveAlgorithm)
                .collectiveTimeout(collectiveTimeout)
                .workers(workers)
                .workersPerNode(workersPerNode)
                .reduction(reduction)
                .replicas(replicas)
                .expectedConcurrency(expectedConcurrency);
    }

    /** Builds a {@link NumaTensorParallelConfig}; {@link #build()} fills defaults and validates once. */
    public static final class Builder {
        private int shards = 1;
        private IdSet numaNodes = IdSet.empty();
        private double interNodePenalty = DEFAULT_INTER_NODE_PENALTY;
        private boolean preferLocalMemory = true;
        private SortedMap<Integer, Integer> nodeAffinity = new TreeMap<>();
        private PinningPolicy pinningPolicy = PinningPolicy.SCATTER;
        private int threadsPerShard;
        private IdleStrategyKind idleStrategy = IdleStrategyKind.AUTO;
        private CollectiveAlgorithmKind collectiveAlgorithm = CollectiveAlgorithmKind.AUTO;
        private Duration collectiveTimeout = DEFAULT_COLLECTIVE_TIMEOUT;
        private WorkerLayout workers = WorkerLayout.THREADS;
        private int workersPerNode = 1;
        private Reduction reduction = Reduction.FAST;
        private int replicas = 1;
        private int expectedConcurrency = DERIVED_CONCURRENCY;

        private Builder() {
        }

        public Builder shards(int value) {
            shards = value;
            return this;
        }

        public Builder numaNodes(IdSet value) {
            numaNodes = value;
            return this;
        }

        public Builder numaNodes(int... nodes) {
            return numaNodes(IdSet.of(nodes));
        }

        public Builder interNodePenalty(double value) {
            interNodePenalty = value;
            return this;
        }

        public Builder preferLocalMemory(boolean value) {
            preferLocalMemory = value;
            return this;
        }

        public Builder nodeAffinity(Map<Integer, Integer> shardToNode) {
            nodeAffinity = new TreeMap<>(shardToNode);
            return this;
        }

        public Builder pinShard(int shard, int node) {
            nodeAffinity.put(shard, node);
            return this;
        }

        public Builder pinningPolicy(PinningPolicy value) {
            pinningPolicy = value;
            return this;
        }

        public Builder threadsPerShard(int value) {
            threadsPerShard = value;
            return this;
        }

        public Builder idleStrategy(IdleStrategyKind value) {
            idleStrategy = value;
            return this;
        }

        public Builder collectiveAlgorithm(CollectiveAlgorithmKind value) {
            collectiveAlgorithm = value;
            return this;
        }

        public Builder collectiveTimeout(Duration value) {
            collectiveTimeout = value;
            return this;
        }

        public Builder workers(WorkerLayout value) {
            workers = value;
            return this;
        }

        public Builder workersPerNode(int value) {
            workersPerNode = value;
            return this;
        }

        public Builder reduction(Reduction value) {
            reduction = value;
            return this;
        }

        /** Replicas of the engine; {@link #AUTO_REPLICAS} lets the planner choose. */
        public Builder replicas(int value) {
            replicas = value;
            return this;
        }

        /** Requests served at once; {@link #DERIVED_CONCURRENCY} derives it. */
        public Builder expectedConcurrency(int value) {
            expectedConcurrency = value;
            return this;
        }

        public NumaTensorParallelConfig build() {
            return new NumaTensorParallelConfig(shards, numaNodes, interNodePenalty, preferLocalMemory,
                    nodeAffinity, pinningPolicy, threadsPerShard, idleStrategy, collectiveAlgorithm,
                    collectiveTimeout, workers, workersPerNode, reduction, replicas, expectedConcurrency);
        }
    }
}
