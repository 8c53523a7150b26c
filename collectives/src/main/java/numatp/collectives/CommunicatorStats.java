package numatp.collectives;

/**
 * Counters of one rank's handle since it was created. Bytes are what this rank read from
 * shared regions (its own and its peers'): {@code interNodeBytes} came from regions of ranks
 * on another node, {@code localBytes} from regions on its own node.
 *
 * @param calls          collective calls made (every operation, barriers included)
 * @param bytesReduced   payload bytes passed to allReduce/reduceScatter
 * @param localBytes     bytes read from shared regions on this rank's node
 * @param interNodeBytes bytes read from shared regions on other nodes
 * @param waitNs         time spent waiting for peers' flags
 * @param workNs         time spent inside calls, not waiting (copying, reducing)
 * @param sameCpuWaits   waits that found the awaited peer last ran on this rank's CPU (the
 *                       scheduler had put both on one core), so they yielded instead of spinning
 */
public record CommunicatorStats(long calls, long bytesReduced, long localBytes, long interNodeBytes,
                                long waitNs, long workNs, long sameCpuWaits) {
    /** Share of read bytes that crossed nodes, in percent (0 when nothing was read). */
    public double interNodePercent() {
        long total = localBytes + interNodeBytes;
        return total == 0 ? 0 : 100.0 * interNodeBytes / total;
    }

    @Override
    public String toString() {
        return String.format("calls=%d reduced=%dB local=%dB inter-node=%dB (%.1f%%) wait=%.3fms work=%.3fms"
                        + " same-cpu-waits=%d", calls, bytesReduced, localBytes, interNodeBytes, interNodePercent(),
                waitNs / 1e6, workNs / 1e6, sameCpuWaits);
    }
}
