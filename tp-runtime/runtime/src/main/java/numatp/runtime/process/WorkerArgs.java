package numatp.runtime.process;

import numatp.models.tp.Reduction;
import numatp.runtime.config.CollectiveAlgorithmKind;
import numatp.runtime.config.ConfigException;
import numatp.runtime.config.IdleStrategyKind;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.topology.IdSet;
import numatp.topology.binding.BindMode;
import numatp.topology.binding.ShardBinding;
import numatp.topology.linux.MemPolicy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What one worker process is told on its command line ({@code tp worker ...}): the model file,
 * the engine instance's name and step file, its index among the workers, every rank's node, the
 * shards it holds (rank, CPUs, threads, whether they share the CPUs), the engine's capacity and
 * the collective, binding and reduction settings. Written by the coordinator ({@link #toArgs}) and read back
 * by the worker ({@link #parse}); a bad value fails naming the flag.
 *
 * @param shards the bindings of the held ranks, {@link ShardBinding#shard()} being the global rank
 */
record WorkerArgs(Path model, String name, Path stepFile, int worker, int workers, int[] nodeOfRank,
                  List<ShardBinding> shards, int slots, int slotPositions, int maxBatch, long timeoutMs,
                  CollectiveAlgorithmKind algorithm, IdleStrategyKind idle, BindMode bindMode, MemPolicy memoryPolicy,
                  Reduction reduction) {
    WorkerArgs {
        nodeOfRank = nodeOfRank.clone();
        shards = List.copyOf(shards);
    }

    /** The held global ranks in team order. */
    int[] ranks() {
        return shards.stream().mapToInt(ShardBinding::shard).toArray();
    }

    /** The collective settings as a configuration ({@code CollectiveSettings} reads them from there). */
    NumaTensorParallelConfig collectiveConfig() {
        return NumaTensorParallelConfig.builder().shards(nodeOfRank.length).collectiveAlgorithm(algorithm)
                .idleStrategy(idle).collectiveTimeout(Duration.ofMillis(timeoutMs)).build();
    }

    List<String> toArgs() {
        List<String> args = new ArrayList<>(List.of("--model", model.toString(), "--name", name,
                "--step-file", stepFile.toString(), "--worker", Integer.toString(worker),
                "--workers", Integer.toString(workers),
                "--nodes", Arrays.stream(nodeOfRank).mapToObj(Integer::toString).collect(Collectors.joining(","))));
        for (ShardBinding b : shards) {
            args.add("--shard");
            args.add(b.shard() + "/" + b.node() + "/" + b.cpus().toListString() + "/" + b.threads() + "/"
                    + b.shareCpus());
        }
        args.addAll(List.of("--slots", Integer.toString(slots), "--positions", Integer.toString(slotPositions),
                "--max-batch", Integer.toString(maxBatch), "--timeout-ms", Long.toString(timeoutMs),
                "--algorithm", lower(algorithm), "--idle", lower(idle), "--bind", lower(bindMode),
                "--memory", lower(memoryPolicy), "--reduction", lower(reduction)));
        return args;
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static WorkerArgs parse(List<String> args) {
        Path model = null;
        String name = null;
        Path stepFile = null;
        int worker = -1;
        int workers = -1;
        int[] nodes = null;
        List<ShardBinding> shards = new ArrayList<>();
        int slots = 0;
        int positions = 0;
        int maxBatch = 0;
        long timeoutMs = 0;
        CollectiveAlgorithmKind algorithm = CollectiveAlgorithmKind.AUTO;
        IdleStrategyKind idle = IdleStrategyKind.AUTO;
        BindMode bind = BindMode.NONE;
        MemPolicy memory = MemPolicy.DEFAULT;
        Reduction reduction = Reduction.FAST;
        for (int i = 0; i < args.size(); i += 2) {
            String flag = args.get(i);
            if (i + 1 >= args.size()) {
                throw new ConfigException("worker: " + flag + " needs a value");
            }
            String value = args.get(i + 1);
            try {
                switch (flag) {
                    case "--model" -> model = Path.of(value);
                    case "--name" -> name = value;
                    case "--step-file" -> stepFile = Path.of(value);
                    case "--worker" -> worker = Integer.parseInt(value);
                    case "--workers" -> workers = Integer.parseInt(value);
                    case "--nodes" -> nodes = Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
                    case "--shard" -> shards.add(shard(value));
                    case "--slots" -> slots = Integer.parseInt(value);
                    case "--positions" -> positions = Integer.parseInt(value);
                    case "--max-batch" -> maxBatch = Integer.parseInt(value);
                    case "--timeout-ms" -> timeoutMs = Long.parseLong(value);
                    case "--algorithm" -> algorithm = choice(CollectiveAlgorithmKind.class, value);
                    case "--idle" -> idle = choice(IdleStrategyKind.class, value);
                    case "--bind" -> bind = choice(BindMode.class, value);
                    case "--memory" -> memory = choice(MemPolicy.class, value);
                    case "--reduction" -> reduction = choice(Reduction.class, value);
                    default -> throw new ConfigException("worker: unknown flag " + flag);
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException("worker: bad value for " + flag + ": " + value);
            }
        }
        if (model == null || name == null || stepFile == null || worker < 0 || workers < 1 || nodes == null
                || shards.isEmpty() || slots < 1 || positions < 1 || maxBatch < 1 || timeoutMs < 1) {
            throw new ConfigException("worker: needs --model, --name, --step-file, --worker, --workers, --nodes,"
                    + " --shard, --slots, --positions, --max-batch and --timeout-ms (started by the coordinator,"
                    + " not by hand): " + args);
        }
        for (ShardBinding b : shards) {
            if (b.shard() >= nodes.length) {
                throw new ConfigException("worker: --shard " + b.shard() + " is not a rank of --nodes " + nodes.length);
            }
        }
        return new WorkerArgs(model, name, stepFile, worker, workers, nodes, shards, slots, positions, maxBatch,
                timeoutMs, algorithm, idle, bind, memory, reduction);
    }

    /** {@code rank/node/cpus/threads/shareCpus}, cpus as a list ({@code 0-3,8}) or empty. */
    private static ShardBinding shard(String value) {
        String[] f = value.split("/", -1);
        if (f.length != 5) {
            throw new IllegalArgumentException("expected rank/node/cpus/threads/shared");
        }
        IdSet cpus = f[2].isEmpty() ? IdSet.empty() : IdSet.parseList(f[2], "--shard");
        return new ShardBinding(Integer.parseInt(f[0]), Integer.parseInt(f[1]), cpus, Integer.parseInt(f[3]),
                Boolean.parseBoolean(f[4]));
    }

    private static <E extends Enum<E>> E choice(Class<E> type, String value) {
        return Enum.valueOf(type, value.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
