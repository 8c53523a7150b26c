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
 * @param strayPages  pages off the planned nodes by what holds them: {@code anonymous}, {@code shared
 *                    anonymous} or the mapped file's path (libraries and page cache shared with other
 *                    processes are what usually stays behind)
 */
public record ProcessCheck(int pid, String comm, MemoryMode memory, IdSet memNodes, Map<Integer, Long> pagesByNode,
                           Set<String> policies, List<ThreadCheck> threads, Map<String, Long> strayPages) {
    public ProcessCheck {
        pagesByNode = Map.copyOf(pagesByNode);
        strayPages = Map.copyOf(strayPages);
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

    public ProcessCheck(int pid, String comm, MemoryMode memory, IdSet memNodes, Map<Integer, Long> pagesByNode,
                        Set<String> policies, List<ThreadCheck> threads) {
        this(pid, comm, memory, memNodes, pagesByNode, policies, threads, Map.of());
    }

    /** Anonymous (private) pages off the planned nodes: the ones {@code migrate_pages} should have moved. */
    public long strayAnonymousPages() {
        return strayPages.getOrDefault(BindVerifier.ANONYMOUS, 0L);
    }

    /** The mappings holding pages off the planned nodes, most pages first, at most {@code limit}. */
    public String strayText(int limit) {
        StringBuilder b = new StringBuilder();
        strayPages.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(limit)
                .forEach(e -> b.append(b.isEmpty() ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue()));
        int more = strayPages.size() - limit;
        return more > 0 ? b + " and " + more + " more mapping(s)" : b.toString();
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
