package numatp.cli.bench;

import java.util.List;

/**
 * One cell of {@code tp bench allreduce}: an algorithm at one message size. Field names are the
 * JSON names (stable).
 *
 * @param algorithm  the requested algorithm ({@code auto}, {@code oneshot}, ...)
 * @param resolved   the algorithm that ran ({@code auto} resolved for this size)
 * @param shards     ranks in the group
 * @param bytes      message size per rank
 * @param iterations timed calls
 * @param medianUs   median over calls of the slowest rank's call time, µs
 * @param p99Us      99th percentile of the same, µs
 * @param algBwGBs   bytes / median time, GB/s
 * @param efficiency memory-traffic bound time (2 · shards · bytes at the copy bandwidth) / median time
 * @param interNodePercent share of bytes read from other nodes' regions, over all ranks
 * @param regions    where each rank's shared region was (wanted vs obtained node, policy)
 */
public record AllReduceResult(String algorithm, String resolved, int shards, long bytes, int iterations,
                              double medianUs, double p99Us, double algBwGBs, double efficiency,
                              double interNodePercent, List<RegionResult> regions) {
    public AllReduceResult {
        regions = regions == null ? List.of() : List.copyOf(regions);
    }

    public AllReduceResult withRegions(List<RegionResult> value) {
        return new AllReduceResult(algorithm, resolved, shards, bytes, iterations, medianUs, p99Us, algBwGBs, efficiency,
                interNodePercent, value);
    }
}
