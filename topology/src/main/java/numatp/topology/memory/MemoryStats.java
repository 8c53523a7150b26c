package numatp.topology.memory;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Live node memory of one {@link NodeMemory}: what was requested per node and where it was found
 * after first touch (estimated from sampled residency).
 *
 * @param requestedBytesByNode bytes requested per requested node
 * @param obtainedBytesByNode bytes found resident per node
 * @param untouchedBytes requested bytes not populated yet (placement decided at first use)
 * @param localBytes bytes resident on the node they were requested for
 */
public record MemoryStats(Map<Integer, Long> requestedBytesByNode, Map<Integer, Long> obtainedBytesByNode,
                          long untouchedBytes, long localBytes) {
    public MemoryStats {
        requestedBytesByNode = Collections.unmodifiableMap(new TreeMap<>(requestedBytesByNode));
        obtainedBytesByNode = Collections.unmodifiableMap(new TreeMap<>(obtainedBytesByNode));
    }

    public long requestedBytes() {
        return requestedBytesByNode.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Percentage of the resident bytes that are on their requested node; 100 when nothing is resident. */
    public double localPercent() {
        long resident = obtainedBytesByNode.values().stream().mapToLong(Long::longValue).sum();
        return resident == 0 ? 100.0 : 100.0 * localBytes / resident;
    }
}
