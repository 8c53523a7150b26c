package numatp.topology.bind;

import numatp.topology.IdSet;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One process read back: its threads' CPUs and where its pages lie ({@code /proc/PID/numa_maps}).
 *
 * @param pagesByNode pages per node summed over every mapping (empty when numa_maps is unreadable)
 * @param policies    the memory policies its mappings show ({@code default}, {@code interleave:0-1}, ...)
 */
public record ProcessCheck(int pid, String comm, MemoryMode memory, IdSet memNodes, Map<Integer, Long> pagesByNode,
                           Set<String> policies, List<ThreadCheck> threads) {
    public ProcessCheck {
        pagesByNode = Map.copyOf(pagesByNode);
        policies = Set.copyOf(policies);
        threads = List.copyOf(threads);
    }

    public long pagesTotal() {
        return pagesByNode.values().stream().mapToLong(Long::longValue).sum();
    }

    public long pagesOnPlannedNodes() {
        return pagesByNode.entrySet().stream().filter(e -> memNodes.contains(e.getKey()))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** Thread CPUs: every live thread matches. */
    public boolean cpusMatch() {
        return threads.stream().allMatch(t -> t.gone() || t.matches());
    }

    /** Pages: all on the planned nodes (true too when no page is resident). */
    public boolean memoryMatches() {
        return pagesOnPlannedNodes() == pagesTotal();
    }
}
