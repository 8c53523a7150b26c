package numatp.topology.memory;

import numatp.topology.IdSet;
import numatp.topology.binding.NumaBinder;
import numatp.topology.linux.KernelFiles;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.MemPolicy;
import numatp.topology.linux.NativeCallException;
import numatp.topology.linux.PolicySupport;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Allocates off-heap memory on a NUMA node with a fallback chain:
 * <ol>
 *   <li>{@code bind}: only the node ({@code MPOL_BIND}, strict). Checked against the node's free
 *       memory first, and population stops before the node runs dry, so a request that does not
 *       fit falls back instead of waking the OOM killer;</li>
 *   <li>{@code preferred}: the node first, other nodes when it is full;</li>
 *   <li>{@code interleave}: round-robin over the allowed nodes (or the options' node set);</li>
 *   <li>{@code plain}: no policy, pages land where the first-touching thread runs (which is a
 *       thread on the node when first touch is on).</li>
 * </ol>
 * Memory-policy calls refused by the kernel or a seccomp filter jump straight to {@code plain}.
 * Huge pages step down on their own ({@code hugetlb → thp → off}). Each distinct step is logged
 * once as a warning saying why and what to do; the {@link Placement} records all of them.
 *
 * <p>Thread-safe; one instance per process is enough ({@link #system()}).
 */
public final class NodeMemory {
    private static final System.Logger LOG = System.getLogger(NodeMemory.class.getName());
    private static final NodeMemory SYSTEM = new NodeMemory(LinuxNuma.system(), KernelFiles.system());

    private final LinuxNuma numa;
    private final KernelFiles files;
    private final FirstTouch firstTouch;
    private final MemoryStatsRecorder stats = new MemoryStatsRecorder();
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    public NodeMemory(LinuxNuma numa, KernelFiles files) {
        this.numa = numa;
        this.files = files;
        this.firstTouch = new FirstTouch(numa, files, new NumaBinder(numa, files));
    }

    public static NodeMemory system() {
        return SYSTEM;
    }

    public MemoryStats stats() {
        return stats.snapshot();
    }

    /**
     * Allocates {@code bytes} on {@code node} as {@code options} say, falling back when allowed.
     *
     * @throws NodeMemoryException when the node does not exist or has no memory, when {@code bytes}
     *         is not positive, when fallback is off and placement fails, or when even plain memory
     *         cannot be had (the message gives free memory per node)
     */
    public NodeAllocation allocate(long bytes, int node, NodeMemoryOptions options) {
        checkRequest(bytes, node);
        List<FallbackStep> steps = new ArrayList<>();
        if (!numa.isNative()) {
            step(steps, new FallbackStep(options.policy().label(), "plain", numa.description()));
            return javaAllocation(bytes, node, options, steps);
        }
        PlacementPolicy policy = options.policy();
        PolicySupport support = PolicySupport.of(numa);
        if (policy != PlacementPolicy.PLAIN && !support.permitted()) {
            step(steps, new FallbackStep(policy.label(), PlacementPolicy.PLAIN.label(), "memory-policy calls are refused ("
                    + support.detail() + "; " + support.recommendation() + ")"));
            policy = PlacementPolicy.PLAIN;
        }
        while (true) {
            String refusal = precheck(policy, bytes, node, options, steps);
            if (refusal != null) {
                policy = stepDown(steps, policy, refusal, false, bytes, node, options);
                continue;
            }
            Mapping mapping = mapOrFail(bytes, node, policy, options, steps);
            IdSet policyNodes = policyNodes(policy, node, options);
            try {
                applyPolicy(mapping, policy, policyNodes);
                String touchNote = "not touched (first touch off)";
                if (options.firstTouch()) {
                    int guard = policy == PlacementPolicy.BIND ? node : -1;
                    touchNote = firstTouch.populate(mapping, node, guard, reserveBytes(node));
                }
                return finish(bytes, node, options, policy, policyNodes, mapping, touchNote, steps);
            } catch (NativeCallException e) {
                mapping.unmap(numa);
                policy = stepDown(steps, policy, e.getMessage(), e.refused(), bytes, node, options);
            } catch (FirstTouch.Incomplete e) {
                mapping.unmap(numa);
                policy = stepDown(steps, policy, e.getMessage(), false, bytes, node, options);
            } catch (RuntimeException e) {
                mapping.unmap(numa);
                throw e;
            }
        }
    }

    /**
     * Applies a placement policy to memory that is already mapped (a shared file mapping, say),
     * before its pages are first touched, stepping down the same chain as {@link #allocate}:
     * {@code bind} when the node has room for the range, else {@code preferred}, then
     * {@code interleave}, then {@code plain}; refused policy calls go straight to {@code plain}.
     * It neither maps, touches nor unmaps; pages already present stay where they are. For
     * {@code tmpfs}/{@code /dev/shm} mappings the policy belongs to the file, so it holds for
     * every process that maps that range.
     *
     * @param range page-aligned start; its length is rounded up to whole pages
     * @return the placement (never touched, so without residency); the huge page fields echo the options
     * @throws NodeMemoryException when the node does not exist or has no memory, or when fallback is
     *         off and the requested policy cannot be applied
     */
    public Placement bindRange(MemorySegment range, int node, NodeMemoryOptions options) {
        long bytes = range.byteSize();
        checkRequest(bytes, node);
        if (range.address() % numa.pageSizeBytes() != 0) {
            throw new NodeMemoryException("cannot bind a range that is not page-aligned: address 0x"
                    + Long.toHexString(range.address()) + " for node " + node);
        }
        List<FallbackStep> steps = new ArrayList<>();
        long length = Sizes.roundUp(bytes, numa.pageSizeBytes());
        PlacementPolicy policy = options.policy();
        NodeMemoryOptions untouched = options.withFirstTouch(false);
        if (!numa.isNative()) {
            step(steps, new FallbackStep(policy.label(), "plain", numa.description()));
            policy = PlacementPolicy.PLAIN;
        } else if (policy != PlacementPolicy.PLAIN && !PolicySupport.of(numa).permitted()) {
            PolicySupport support = PolicySupport.of(numa);
            step(steps, new FallbackStep(policy.label(), PlacementPolicy.PLAIN.label(), "memory-policy calls are refused ("
                    + support.detail() + "; " + support.recommendation() + ")"));
            policy = PlacementPolicy.PLAIN;
        }
        while (policy != PlacementPolicy.PLAIN) {
            String refusal = precheck(policy, bytes, node, untouched, steps);
            if (refusal == null) {
                IdSet nodes = policyNodes(policy, node, options);
                try {
                    applyPolicy(new Mapping(range.address(), length, HugePages.OFF), policy, nodes);
                    return new Placement(node, bytes, length, options.policy(), policy, nodes, options.hugePages(),
                            options.hugePages(), false, "not touched (bound before first use)", steps, null);
                } catch (NativeCallException e) {
                    policy = stepDown(steps, policy, e.getMessage(), e.refused(), bytes, node, options);
                }
            } else {
                policy = stepDown(steps, policy, refusal, false, bytes, node, options);
            }
        }
        return new Placement(node, bytes, length, options.policy(), PlacementPolicy.PLAIN, IdSet.empty(),
                options.hugePages(), options.hugePages(), false, "not touched (pages follow the first writer)", steps, null);
    }

    private void checkRequest(long bytes, int node) {
        if (bytes <= 0) {
            throw new NodeMemoryException("allocation size must be positive: " + bytes + " bytes for node " + node);
        }
        IdSet online = files.onlineNodes();
        if (!online.contains(node)) {
            throw new NodeMemoryException("node " + node + " does not exist; online nodes: " + online);
        }
        IdSet withMemory = files.nodesWithMemory();
        if (!withMemory.contains(node)) {
            throw new NodeMemoryException("node " + node + " has no memory; nodes with memory: " + withMemory);
        }
    }

    /** Why {@code policy} cannot hold the request, checked before mapping; null when it may. */
    private String precheck(PlacementPolicy policy, long bytes, int node, NodeMemoryOptions options,
                            List<FallbackStep> steps) {
        if (policy == PlacementPolicy.BIND || policy == PlacementPolicy.PREFERRED) {
            IdSet allowed = memsAllowed();
            if (!allowed.contains(node)) {
                return "node " + node + " is outside the nodes this process may allocate on (cpuset mems: " + allowed + ")";
            }
        }
        if (policy == PlacementPolicy.BIND && options.hugePages() != HugePages.HUGETLB) {
            Optional<KernelFiles.NodeMemInfo> info = files.nodeMemInfo(node);
            if (info.isPresent() && info.get().memFreeBytes() - reserveBytes(node) < bytes) {
                return "node " + node + " has " + Sizes.format(info.get().memFreeBytes()) + " free, "
                        + Sizes.format(bytes) + " requested";
            }
        }
        if (policy != PlacementPolicy.BIND && options.firstTouch()) {
            OptionalLong available = files.memAvailableBytes();
            if (available.isPresent() && available.getAsLong() < bytes) {
                throw new NodeMemoryException("cannot allocate " + Sizes.format(bytes) + " for node " + node
                        + ": the machine has " + Sizes.format(available.getAsLong()) + " available (MemAvailable)"
                        + freePerNode() + "; touching it would invoke the OOM killer. Reduce the size or free memory"
                        + tried(steps));
            }
        }
        return null;
    }

    private PlacementPolicy stepDown(List<FallbackStep> steps, PlacementPolicy policy, String reason, boolean refused,
                                     long bytes, int node, NodeMemoryOptions options) {
        if (policy == PlacementPolicy.PLAIN || !options.fallback()) {
            throw new NodeMemoryException("cannot allocate " + Sizes.format(bytes) + " on node " + node + " with policy "
                    + policy.label() + ": " + reason + (options.fallback() ? "" : " (fallback disabled)") + tried(steps));
        }
        PlacementPolicy next = refused ? PlacementPolicy.PLAIN : policy.next();
        step(steps, new FallbackStep(policy.label(), next.label(), reason));
        return next;
    }

    private Mapping mapOrFail(long bytes, int node, PlacementPolicy policy, NodeMemoryOptions options,
                              List<FallbackStep> steps) {
        try {
            return Mapping.map(numa, files, bytes, node, options, s -> step(steps, s));
        } catch (NativeCallException e) {
            String hint = e.errno() == numatp.topology.linux.Errno.ENOMEM
                    ? " (the kernel's overcommit check refuses mappings larger than RAM + swap)" : "";
            throw new NodeMemoryException("cannot map " + Sizes.format(bytes) + " for node " + node + " with policy "
                    + policy.label() + ": " + e.getMessage() + hint + freePerNode() + tried(steps), e);
        }
    }

    /** The fallback steps taken before a final failure, for its message. */
    private static String tried(List<FallbackStep> steps) {
        if (steps.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder("; fallbacks tried: ");
        for (int i = 0; i < steps.size(); i++) {
            FallbackStep s = steps.get(i);
            out.append(i == 0 ? "" : ", ").append(s.from()).append("->").append(s.to()).append(" (").append(s.reason())
                    .append(')');
        }
        return out.toString();
    }

    private void applyPolicy(Mapping mapping, PlacementPolicy policy, IdSet nodes) {
        if (policy == PlacementPolicy.PLAIN) {
            return;
        }
        int flags = policy == PlacementPolicy.BIND ? MemPolicy.MF_STRICT | MemPolicy.MF_MOVE : 0;
        numa.mbind(mapping.address(), mapping.mappedBytes(), policy.kernelMode(), nodes, flags);
    }

    private IdSet policyNodes(PlacementPolicy policy, int node, NodeMemoryOptions options) {
        return switch (policy) {
            case BIND, PREFERRED -> IdSet.of(node);
            case INTERLEAVE -> options.interleaveNodes().isEmpty()
                    ? memsAllowed().intersect(files.nodesWithMemory())
                    : options.interleaveNodes();
            case PLAIN -> IdSet.empty();
        };
    }

    private NodeAllocation finish(long bytes, int node, NodeMemoryOptions options, PlacementPolicy policy,
                                  IdSet policyNodes, Mapping mapping, String touchNote, List<FallbackStep> steps) {
        Residency residency = null;
        HugePages obtained = mapping.hugePages();
        if (options.firstTouch()) {
            residency = sampleResidency(mapping);
            // What backs the touched pages, not what was asked: THP "always" gives huge pages to OFF requests too.
            if (obtained != HugePages.HUGETLB) {
                boolean huge = HugePageUsage.transparentPossible(files, mapping.hugePages())
                        && HugePageUsage.of(files, mapping.address(), mapping.mappedBytes()).active();
                obtained = huge ? HugePages.THP : HugePages.OFF;
            }
        }
        Placement placement = new Placement(node, bytes, mapping.mappedBytes(), options.policy(), policy, policyNodes,
                options.hugePages(), obtained, options.firstTouch(), touchNote, steps, residency);
        stats.add(placement);
        Arena arena = Arena.ofShared();
        LinuxNuma numaForCleanup = numa;
        long address = mapping.address();
        long length = mapping.mappedBytes();
        MemorySegment segment = MemorySegment.ofAddress(address).reinterpret(bytes, arena, s -> {
            numaForCleanup.munmap(address, length);
            stats.remove(placement);
        });
        return new NodeAllocation(arena, segment, placement);
    }

    private Residency sampleResidency(Mapping mapping) {
        try {
            return PageResidency.sample(numa, mapping.address(), mapping.mappedBytes(), PageResidency.DEFAULT_MAX_SAMPLES);
        } catch (NativeCallException e) {
            return null;
        }
    }

    private NodeAllocation javaAllocation(long bytes, int node, NodeMemoryOptions options, List<FallbackStep> steps) {
        Arena arena = Arena.ofShared();
        MemorySegment segment = arena.allocate(bytes, 4096);
        Placement placement = new Placement(node, bytes, bytes, options.policy(), PlacementPolicy.PLAIN, IdSet.empty(),
                options.hugePages(), HugePages.OFF, true, "zeroed by the allocating thread", steps, null);
        return new NodeAllocation(arena, segment, placement);
    }

    private IdSet memsAllowed() {
        try {
            return numa.memsAllowed();
        } catch (NativeCallException e) {
            return files.nodesWithMemory();
        }
    }

    /** Headroom left on a node under strict binding: 1/32 of it, at most 64 MiB (kernel watermarks live here). */
    private long reserveBytes(int node) {
        return files.nodeMemInfo(node).map(m -> Math.min(64L << 20, m.memTotalBytes() / 32)).orElse(0L);
    }

    private String freePerNode() {
        StringBuilder out = new StringBuilder();
        IdSet nodes = files.nodesWithMemory();
        for (int n = nodes.first(); n >= 0; n = nodes.next(n + 1)) {
            Optional<KernelFiles.NodeMemInfo> info = files.nodeMemInfo(n);
            if (info.isPresent()) {
                out.append(out.isEmpty() ? "; free per node: " : ", ").append("node ").append(n).append(' ')
                        .append(Sizes.format(info.get().memFreeBytes()));
            }
        }
        return out.toString();
    }

    private void step(List<FallbackStep> steps, FallbackStep step) {
        steps.add(step);
        if (logged.add(step.from() + "->" + step.to() + ": " + step.reason())) {
            LOG.log(Level.WARNING, step.message());
        }
    }
}
