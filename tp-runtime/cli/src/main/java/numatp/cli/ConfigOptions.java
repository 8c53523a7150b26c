package numatp.cli;

import numatp.models.tp.Reduction;
import numatp.runtime.config.CollectiveAlgorithmKind;
import numatp.runtime.config.ConfigJson;
import numatp.runtime.config.IdleStrategyKind;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.config.ReplicaCount;
import numatp.runtime.config.WorkerLayout;
import numatp.topology.IdSet;
import numatp.topology.pinning.PinningPolicy;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The tensor-parallel configuration flags (a picocli mixin) of every command that plans or
 * runs shards: {@code tp plan}, {@code tp serve}, {@code tp generate}, {@code tp bench generate}
 * and {@code tp bench allreduce}. A {@code --config FILE.json} is read first; flags given on
 * the command line override its fields. Values are parsed by {@link FlagConverters}.
 */
public final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE.json",
            description = "Read the configuration from a JSON file (fields as in docs/configuration.md); flags override it.")
    Path configFile;

    @Option(names = "--shards", paramLabel = "N", description = "Number of tensor-parallel shards (default 1; in tp bench allreduce the ranks, required there).")
    Integer shards;

    @Option(names = "--numa-nodes", paramLabel = "LIST", converter = FlagConverters.NodeSet.class,
            description = "NUMA nodes to use, e.g. 0,1 or 0-3 (default: every allowed node with CPUs).")
    IdSet numaNodes;

    @Option(names = "--numa-inter-node-penalty", paramLabel = "P",
            description = "0..1: weight of cross-node traffic against compute balance (default 0.3).")
    Double interNodePenalty;

    @Option(names = "--numa-prefer-local-memory", paramLabel = "true|false", arity = "0..1", fallbackValue = "true",
            description = "Require each node to hold its shards' weights and KV cache locally (default true).")
    Boolean preferLocalMemory;

    @Option(names = "--node-affinity", paramLabel = "S:N,...", converter = FlagConverters.NodeAffinity.Converter.class,
            description = "Manual shard-to-node map, e.g. 0:0,1:0,2:1,3:1 (every shard named).")
    FlagConverters.NodeAffinity nodeAffinity;

    @Option(names = "--pinning", paramLabel = "scatter|compact|none",
            description = "How shard threads are laid over a node's CPUs (default scatter); none = plan as scatter but leave threads unpinned (a baseline for comparisons).")
    PinningPolicy pinning;

    @Option(names = "--threads-per-shard", paramLabel = "N",
            description = "Threads per shard (default: the node's cores divided among its shards).")
    Integer threadsPerShard;

    @Option(names = "--idle-strategy", paramLabel = "auto|backoff|busy-spin",
            description = "How threads wait in collectives (default auto).",
            converter = FlagConverters.IdleKind.class)
    IdleStrategyKind idleStrategy;

    @Option(names = "--collective-algorithm", paramLabel = "auto|hierarchical|ring|oneshot",
            description = "Allreduce algorithm (default auto).")
    CollectiveAlgorithmKind collectiveAlgorithm;

    @Option(names = "--collective-timeout-ms", paramLabel = "MS",
            description = "How long a collective waits for a missing shard (default 30000).")
    Long collectiveTimeoutMs;

    @Option(names = "--workers", paramLabel = "threads|processes|mpi",
            description = "Where shards run: thread teams in this process (default), one worker process per NUMA node,"
                    + " born bound to it (see docs/serving.md), or processes under mpirun on one or more hosts, each"
                    + " holding --shards / -np shards (see docs/multi-host.md).")
    WorkerLayout workers;

    @Option(names = "--workers-per-node", paramLabel = "N",
            description = "With --workers processes: worker processes per node, each with consecutive shards of it"
                    + " (default 1; more tests the process layout on a one-node machine).")
    Integer workersPerNode;

    @Option(names = "--reduction", paramLabel = "fast|exact",
            description = "How shards' partial sums are added (default fast): exact gives bitwise the same logits for every shard count, at 3x the allreduce bytes.")
    Reduction reduction;

    @Option(names = "--replicas", paramLabel = "auto|N", converter = FlagConverters.Replicas.class,
            description = "Independent engines serving the model, each of --shards shards on its own nodes (default 1);"
                    + " auto lets the planner choose replicas and shards per replica (see docs/planner.md).")
    Integer replicas;

    @Option(names = "--expected-concurrency", paramLabel = "C",
            description = "Requests the layout should serve at once, for --replicas auto (default: --max-batch in"
                    + " tp serve, else 1).")
    Integer expectedConcurrency;

    /** The configuration from the file (if any) with the flags applied. */
    public NumaTensorParallelConfig toConfig() {
        return toConfig(NumaTensorParallelConfig.builder());
    }

    /**
     * The configuration of a command that runs one engine ({@code command} names it): a
     * {@code --replicas} other than 1 is refused there rather than ignored.
     */
    public NumaTensorParallelConfig toOneEngineConfig(String command) {
        return toOneEngineConfig(command, NumaTensorParallelConfig.builder());
    }

    /** {@link #toOneEngineConfig(String)} over the command's own defaults. */
    public NumaTensorParallelConfig toOneEngineConfig(String command, NumaTensorParallelConfig.Builder builder) {
        NumaTensorParallelConfig config = toConfig(builder);
        if (config.replicas() != 1) {
            throw new UsageException("--replicas " + ReplicaCount.format(config.replicas()) + ": " + command
                    + " runs one engine; replicas are for tp serve (and tp plan shows their layout)");
        }
        return config;
    }

    /**
     * The configuration over a command's own defaults: {@code builder} as the command
     * presets it, then the file (if any), then the flags; validated once by {@code build()}.
     */
    public NumaTensorParallelConfig toConfig(NumaTensorParallelConfig.Builder builder) {
        if (configFile != null) {
            ConfigJson.read(configFile, builder);
        }
        if (shards != null) {
            builder.shards(shards);
        }
        if (numaNodes != null) {
            builder.numaNodes(numaNodes);
        }
        if (interNodePenalty != null) {
            builder.interNodePenalty(interNodePenalty);
        }
        if (preferLocalMemory != null) {
            builder.preferLocalMemory(preferLocalMemory);
        }
        if (nodeAffinity != null) {
            builder.nodeAffinity(nodeAffinity.shardToNode());
        }
        if (pinning != null) {
            builder.pinningPolicy(pinning);
        }
        if (threadsPerShard != null) {
            builder.threadsPerShard(threadsPerShard);
        }
        if (idleStrategy != null) {
            builder.idleStrategy(idleStrategy);
        }
        if (collectiveAlgorithm != null) {
            builder.collectiveAlgorithm(collectiveAlgorithm);
        }
        if (collectiveTimeoutMs != null) {
            builder.collectiveTimeout(Duration.ofMillis(collectiveTimeoutMs));
        }
        if (workers != null) {
            builder.workers(workers);
        }
        if (workersPerNode != null) {
            builder.workersPerNode(workersPerNode);
        }
        if (reduction != null) {
            builder.reduction(reduction);
        }
        if (replicas != null) {
            builder.replicas(replicas);
        }
        if (expectedConcurrency != null) {
            if (expectedConcurrency < 1) {
                throw new UsageException("--expected-concurrency must be >= 1: " + expectedConcurrency);
            }
            builder.expectedConcurrency(expectedConcurrency);
        }
        return builder.build();
    }
}
