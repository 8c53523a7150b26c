package numatp.cli.bench.serve;

import java.time.Instant;
import java.util.List;

/**
 * The raw outcome of one benchmark run, before summarising.
 *
 * @param config       what was asked
 * @param model        the model id the requests named
 * @param promptWords  words per prompt after calibration against the server's token count
 * @param usageAsked   streamed requests asked for {@code stream_options.include_usage} to the end
 * @param startedAt    wall-clock start of the measured requests
 * @param durationNs   from the first measured request sent to the last one finished
 * @param results      one per measured request, in request order
 * @param replicas     how a {@code tp serve} with replicas shared the measured requests, or unknown
 */
public record ServeBenchRun(ServeBenchConfig config, String model, int promptWords, boolean usageAsked,
                            Instant startedAt, long durationNs, List<RequestResult> results,
                            ReplicaSpread replicas) {
}
