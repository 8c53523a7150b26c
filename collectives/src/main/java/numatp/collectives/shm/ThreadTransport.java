package numatp.collectives.shm;

import numatp.collectives.CollectiveException;
import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Groups of ranks that are threads of this process. Each rank's region comes from the
 * {@link RegionAllocator} on that rank's node; the memory is freed when every handle is closed.
 * An aborted group stays aborted: create a new group to continue.
 */
public final class ThreadTransport {
    private ThreadTransport() {
    }

    /**
     * One handle per rank ({@code nodeOfRank.length} ranks), each region bound to its rank's node
     * ({@link RegionAllocator#nodeBound()}; plain memory where binding is unavailable).
     */
    public static List<Communicator> create(int[] nodeOfRank, CommunicatorConfig config) {
        return create(nodeOfRank, config, RegionAllocator.nodeBound());
    }

    /** As {@link #create(int[], CommunicatorConfig)}; the group owns {@code allocator} and closes it with the last handle. */
    public static List<Communicator> create(int[] nodeOfRank, CommunicatorConfig config, RegionAllocator allocator) {
        int ranks = nodeOfRank.length;
        if (ranks < 1 || ranks > GroupLayout.MAX_RANKS) {
            throw new CollectiveException("a group needs 1 to " + GroupLayout.MAX_RANKS + " ranks: " + ranks);
        }
        for (int r = 0; r < ranks; r++) {
            if (nodeOfRank[r] < 0) {
                throw new CollectiveException("node of rank " + r + " must be >= 0: " + nodeOfRank[r]);
            }
        }
        MemorySegment[] regions = new MemorySegment[ranks];
        String[] policies = new String[ranks];
        String[] notes = new String[ranks];
        MemorySegment header;
        try {
            header = allocator.allocate(nodeOfRank[0], GroupLayout.headerBytes(ranks)).segment();
            for (int r = 0; r < ranks; r++) {
                RegionAllocator.AllocatedRegion region = allocator.allocate(nodeOfRank[r],
                        RankLayout.regionBytes(config.slotBytes(), config.bufferBytes()));
                regions[r] = region.segment();
                policies[r] = region.policy();
                notes[r] = region.note();
            }
        } catch (RuntimeException e) {
            allocator.close();
            throw e;
        }
        writeHeader(header, nodeOfRank, config.slotBytes(), config.bufferBytes(), 1, 0);
        SharedGroup group = new SharedGroup(header, regions, nodeOfRank, config.slotBytes(), "threads", true,
                policies, notes, allocator::close);
        AtomicInteger open = new AtomicInteger(ranks);
        List<Communicator> handles = new ArrayList<>(ranks);
        for (int r = 0; r < ranks; r++) {
            handles.add(new ShmCommunicator(group, r, config, () -> {
                if (open.decrementAndGet() == 0) {
                    group.release();
                }
            }));
        }
        return List.copyOf(handles);
    }

    static void writeHeader(MemorySegment header, int[] nodeOfRank, long slotBytes, long bufferBytes, long generation,
                            long pid) {
        header.set(ValueLayout.JAVA_LONG, GroupLayout.MAGIC, GroupLayout.MAGIC_VALUE);
        header.set(ValueLayout.JAVA_INT, GroupLayout.VERSION, GroupLayout.VERSION_VALUE);
        header.set(ValueLayout.JAVA_INT, GroupLayout.RANK_COUNT, nodeOfRank.length);
        header.set(ValueLayout.JAVA_LONG, GroupLayout.SLOT_BYTES, slotBytes);
        header.set(ValueLayout.JAVA_LONG, GroupLayout.REGION_BYTES, RankLayout.regionBytes(slotBytes, bufferBytes));
        header.set(ValueLayout.JAVA_LONG, GroupLayout.GENERATION, generation);
        header.set(ValueLayout.JAVA_LONG, GroupLayout.CREATOR_PID, pid);
        for (int r = 0; r < nodeOfRank.length; r++) {
            header.set(ValueLayout.JAVA_INT, GroupLayout.NODE_TABLE + 4L * r, nodeOfRank[r]);
        }
        // Publishes every header field above to joiners.
        numatp.collectives.sync.SequenceFlags.setRelease(header, GroupLayout.STATE, GroupLayout.STATE_READY);
    }
}
