package numatp.topology.memory;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the sampled pages of a range live, from {@code move_pages} in query mode, scaled to bytes.
 *
 * @param sizeBytes the length of the range
 * @param pagesSampled how many pages were asked about
 * @param pagesByNode sampled pages per node (sorted by node)
 * @param untouchedPages sampled pages never written (the kernel answered -ENOENT or -EFAULT)
 * @param unknownPages sampled pages the kernel could not say anything about (other errors)
 */
public record Residency(long sizeBytes, int pagesSampled, Map<Integer, Integer> pagesByNode, int untouchedPages,
                        int unknownPages) {
    public Residency {
        pagesByNode = Collections.unmodifiableMap(new TreeMap<>(pagesByNode));
    }

    /** Interprets {@code move_pages} statuses: node ids, -ENOENT/-EFAULT for untouched pages, other errnos. */
    public static Residency fromStatuses(long sizeBytes, int[] statuses) {
        Map<Integer, Integer> byNode = new TreeMap<>();
        int untouched = 0;
        int unknown = 0;
        for (int status : statuses) {
            if (status >= 0) {
                byNode.merge(status, 1, Integer::sum);
            } else if (status == -numatp.topology.linux.Errno.ENOENT || status == -numatp.topology.linux.Errno.EFAULT) {
                untouched++;
            } else {
                unknown++;
            }
        }
        return new Residency(sizeBytes, statuses.length, byNode, untouched, unknown);
    }

    public int residentPages() {
        return pagesSampled - untouchedPages - unknownPages;
    }

    /** The estimated bytes on {@code node}: its share of the sample times the range size. */
    public long bytesOnNode(int node) {
        return share(pagesByNode.getOrDefault(node, 0));
    }

    /** Estimated bytes per node (sorted by node). */
    public Map<Integer, Long> bytesByNode() {
        Map<Integer, Long> out = new TreeMap<>();
        pagesByNode.forEach((node, pages) -> out.put(node, share(pages)));
        return out;
    }

    public long untouchedBytes() {
        return share(untouchedPages);
    }

    /** Percentage of resident sampled pages that are on {@code node}; 0 when nothing is resident. */
    public double percentOn(int node) {
        int resident = residentPages();
        return resident == 0 ? 0 : 100.0 * pagesByNode.getOrDefault(node, 0) / resident;
    }

    private long share(long pages) {
        return pagesSampled == 0 ? 0 : Math.round((double) sizeBytes * pages / pagesSampled);
    }
}
