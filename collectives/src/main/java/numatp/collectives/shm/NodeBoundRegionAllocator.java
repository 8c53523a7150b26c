package numatp.collectives.shm;

import numatp.topology.IdSet;
import numatp.topology.linux.KernelFiles;
import numatp.topology.memory.FallbackStep;
import numatp.topology.memory.NodeAllocation;
import numatp.topology.memory.NodeMemory;
import numatp.topology.memory.NodeMemoryOptions;
import numatp.topology.memory.Placement;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link RegionAllocator} that maps each region on its own and binds it to the rank's node with
 * {@link NodeMemory} (strict bind, falling back to preferred, interleave and plain with the
 * reasons recorded). Pages are not populated here: under the policy they land on the node when
 * first written, and only the owning rank writes its region. A node this machine does not have
 * (a simulated placement, e.g. {@code --numa-nodes 0,1} on one node) gets plain memory.
 */
final class NodeBoundRegionAllocator implements RegionAllocator {
    /** Bind, base pages, no populate (the owner's first write places each page), fallback on. */
    static final NodeMemoryOptions OPTIONS = NodeMemoryOptions.defaults().withFirstTouch(false);

    private final NodeMemory memory;
    private final KernelFiles files;
    private final List<NodeAllocation> allocations = new ArrayList<>();
    private Arena plain;

    NodeBoundRegionAllocator(NodeMemory memory, KernelFiles files) {
        this.memory = memory;
        this.files = files;
    }

    static NodeBoundRegionAllocator system() {
        return new NodeBoundRegionAllocator(NodeMemory.system(), KernelFiles.system());
    }

    @Override
    public synchronized AllocatedRegion allocate(int node, long bytes) {
        IdSet withMemory = files.nodesWithMemory();
        if (!withMemory.contains(node)) {
            if (plain == null) {
                plain = Arena.ofShared();
            }
            return new AllocatedRegion(plain.allocate(bytes, 4096), "plain",
                    "node " + node + " is not a node with memory here (" + withMemory + "): not bound");
        }
        NodeAllocation allocation = memory.allocate(bytes, node, OPTIONS);
        allocations.add(allocation);
        Placement placement = allocation.placement();
        return new AllocatedRegion(allocation.segment(), placement.policyUsed().label(), fallbackNote(placement));
    }

    static String fallbackNote(Placement placement) {
        StringBuilder note = new StringBuilder();
        for (FallbackStep step : placement.fallbackSteps()) {
            note.append(note.isEmpty() ? "" : "; ").append(step.from()).append("->").append(step.to()).append(": ")
                    .append(step.reason());
        }
        return note.toString();
    }

    @Override
    public synchronized void close() {
        allocations.forEach(NodeAllocation::close);
        allocations.clear();
        if (plain != null) {
            plain.close();
            plain = null;
        }
    }
}
