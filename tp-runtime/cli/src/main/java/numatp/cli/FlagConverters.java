package numatp.cli;

import numatp.cli.bench.ByteSizes;
import numatp.collectives.sync.BackoffIdleStrategy;
import numatp.collectives.sync.BusySpinIdleStrategy;
import numatp.collectives.sync.IdleStrategy;
import numatp.runtime.config.ByteSize;
import numatp.runtime.config.IdleStrategyKind;
import numatp.runtime.config.NodeAffinityParser;
import numatp.runtime.config.ReplicaCount;
import numatp.topology.IdSet;
import numatp.topology.NumatpException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.SortedMap;

/**
 * Picocli converters for the value kinds several flags share: sizes, node sets, the
 * shard-to-node map, idle strategies. Each calls the project's parser for that kind, naming the flag
 * {@link #FLAG}; {@link TpMain} puts the option's name there, so a bad value reads
 * {@code error: --model-bytes expects a size like ...} with exit 2 whichever command took it.
 */
final class FlagConverters {
    /** Stands for the flag's name in a parser's message until {@link BadValue#messageFor} fills it in. */
    static final String FLAG = "<flag>";

    private FlagConverters() {
    }

    /** A value a converter rejected; its message names the flag as {@link #FLAG}. */
    static final class BadValue extends TypeConversionException {
        BadValue(String message) {
            super(message);
        }

        /** The message with {@code flag} in place of {@link #FLAG} (prefixed when the parser did not name it). */
        String messageFor(String flag) {
            String message = getMessage();
            return message.contains(FLAG) ? message.replace(FLAG, flag) : flag + ": " + message;
        }
    }

    /** Runs one of the project's parsers; its errors become {@link BadValue}s. */
    private abstract static class Base<T> implements ITypeConverter<T> {
        @Override
        public final T convert(String value) {
            try {
                return parse(value);
            } catch (NumatpException | IllegalArgumentException e) {
                throw new BadValue(e.getMessage());
            }
        }

        abstract T parse(String value);
    }

    /** A byte size such as {@code 4096}, {@code 64KiB}, {@code 14GiB} ({@link ByteSize}); 0 allowed. */
    static final class Size extends Base<Long> {
        @Override
        Long parse(String value) {
            return ByteSize.parse(value, FLAG);
        }
    }

    /** A byte size that must be positive ({@link ByteSizes}); with {@code split = ","} a list of them. */
    static final class PositiveSize extends Base<Long> {
        @Override
        Long parse(String value) {
            return ByteSizes.parse(FLAG, value);
        }
    }

    /** A set of NUMA nodes such as {@code 0,1} or {@code 0-3} ({@link IdSet#parseList}). */
    static final class NodeSet extends Base<IdSet> {
        @Override
        IdSet parse(String value) {
            return IdSet.parseList(value, FLAG);
        }
    }

    /**
     * {@code --node-affinity 0:0,1:0,2:1} ({@link NodeAffinityParser}); a record around the map
     * because picocli would read a {@code Map} option as {@code key=value} pairs.
     *
     * @param shardToNode shard id to node id, sorted by shard
     */
    record NodeAffinity(SortedMap<Integer, Integer> shardToNode) {
        static final class Converter extends Base<NodeAffinity> {
            @Override
            NodeAffinity parse(String value) {
                return new NodeAffinity(NodeAffinityParser.parse(value, FLAG));
            }
        }
    }

    /** {@code --replicas}: auto ({@link numatp.runtime.config.NumaTensorParallelConfig#AUTO_REPLICAS}) or N >= 1. */
    static final class Replicas extends Base<Integer> {
        @Override
        Integer parse(String value) {
            return ReplicaCount.parse(value, FLAG);
        }
    }

    /** {@code --idle-strategy}: auto, backoff or busy-spin ({@code busy_spin} too). */
    static final class IdleKind extends Base<IdleStrategyKind> {
        @Override
        IdleStrategyKind parse(String value) {
            for (IdleStrategyKind kind : IdleStrategyKind.values()) {
                if (kind.name().equalsIgnoreCase(value.trim().replace('-', '_'))) {
                    return kind;
                }
            }
            throw new IllegalArgumentException(FLAG + " must be auto, backoff or busy-spin: '" + value + "'");
        }
    }

    /**
     * An idle strategy with its parameters, as {@code tp bench allreduce --idle} tunes it: auto
     * (chosen by ranks per core), busy-spin, or backoff:SPINS:YIELDS:MIN_PARK_NS:MAX_PARK_NS.
     *
     * @param strategy null for auto
     */
    record IdleSpec(IdleStrategy strategy) {
        static final class Converter extends Base<IdleSpec> {
            @Override
            IdleSpec parse(String text) {
                String t = text.strip();
                if (t.equals("auto")) {
                    return new IdleSpec(null);
                }
                if (t.equals("busy-spin")) {
                    return new IdleSpec(new BusySpinIdleStrategy());
                }
                String[] f = t.split(":");
                if (f[0].equals("backoff") && f.length == 5) {
                    try {
                        return new IdleSpec(new BackoffIdleStrategy(Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                                Long.parseLong(f[3]), Long.parseLong(f[4])));
                    } catch (NumberFormatException e) {
                        // the usage message below says what is expected
                    }
                }
                throw new IllegalArgumentException(FLAG
                        + " must be auto, busy-spin or backoff:SPINS:YIELDS:MIN_PARK_NS:MAX_PARK_NS: " + text);
            }
        }
    }
}
