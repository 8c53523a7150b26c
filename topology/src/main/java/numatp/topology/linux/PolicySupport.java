package numatp.topology.linux;

import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether this process may use memory-policy calls ({@code mbind}, {@code set_mempolicy},
 * {@code get_mempolicy}, {@code move_pages}). Containers under Docker's default seccomp profile
 * answer EPERM unless the container has CAP_SYS_NICE. Detected once per {@link LinuxNuma} by
 * binding one scratch page with {@code MPOL_DEFAULT} (which changes nothing); when refused, one
 * warning is logged and the memory layer uses plain allocations from then on.
 *
 * @param permitted true when the calls reach the kernel
 * @param detail what was found, in words ("mbind refused: errno=1 (EPERM)")
 * @param recommendation what a user can do about it; empty when permitted
 */
public record PolicySupport(boolean permitted, String detail, String recommendation) {
    private static final System.Logger LOG = System.getLogger(PolicySupport.class.getName());
    private static final Map<LinuxNuma, PolicySupport> CACHE = new ConcurrentHashMap<>();

    static final String RECOMMEND_CONTAINER = "run the container with --cap-add SYS_NICE, or a seccomp profile"
            + " that allows mbind, set_mempolicy, get_mempolicy and move_pages";

    /** The answer for {@code numa}, probed on first use; logs one warning when the calls are refused. */
    public static PolicySupport of(LinuxNuma numa) {
        return CACHE.computeIfAbsent(numa, n -> {
            PolicySupport support = probe(n);
            if (!support.permitted()) {
                LOG.log(Level.WARNING, "memory-policy calls unavailable, memory will not be bound to nodes: "
                        + support.detail() + "; " + support.recommendation());
            }
            return support;
        });
    }

    /** Probes without caching or logging. */
    public static PolicySupport probe(LinuxNuma numa) {
        if (!numa.isNative()) {
            return new PolicySupport(false, numa.description(), "run on Linux x86_64/aarch64 with JNA on the class path");
        }
        long page = numa.pageSizeBytes();
        long address;
        try {
            address = numa.mmapAnonymous(page, 0);
        } catch (NativeCallException e) {
            return new PolicySupport(false, "cannot map a scratch page: " + e.getMessage(), "check ulimit -v");
        }
        try {
            numa.mbind(address, page, MemPolicy.DEFAULT, numatp.topology.IdSet.empty(), 0);
            numa.queryPageNodes(new long[] {address});
            return new PolicySupport(true, "mbind and move_pages permitted", "");
        } catch (NativeCallException e) {
            String recommendation = e.refused() && e.errno() == Errno.ENOSYS
                    ? "the kernel was built without CONFIG_NUMA; use a NUMA-enabled kernel"
                    : RECOMMEND_CONTAINER;
            return new PolicySupport(false, e.call() + " refused: errno=" + e.errno() + " (" + e.errnoName() + ")",
                    recommendation);
        } finally {
            numa.munmap(address, page);
        }
    }
}
