package numatp.topology.memory;

import java.util.HashMap;
import java.util.Map;

/** Accumulates {@link MemoryStats} as allocations are made and closed. */
final class MemoryStatsRecorder {
    private final Map<Integer, Long> requested = new HashMap<>();
    private final Map<Integer, Long> obtained = new HashMap<>();
    private long untouched;
    private long local;

    synchronized void add(Placement p) {
        apply(p, 1);
    }

    synchronized void remove(Placement p) {
        apply(p, -1);
    }

    synchronized MemoryStats snapshot() {
        return new MemoryStats(requested, obtained, untouched, local);
    }

    private void apply(Placement p, long sign) {
        requested.merge(p.node(), sign * p.requestedBytes(), Long::sum);
        Residency r = p.residency();
        if (r == null) {
            untouched += sign * p.requestedBytes();
        } else {
            r.bytesByNode().forEach((node, bytes) -> obtained.merge(node, sign * bytes, Long::sum));
            untouched += sign * r.untouchedBytes();
            local += sign * r.bytesOnNode(p.node());
        }
        requested.values().removeIf(v -> v == 0);
        obtained.values().removeIf(v -> v == 0);
    }
}
