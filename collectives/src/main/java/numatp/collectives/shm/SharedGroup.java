package numatp.collectives.shm;

import numatp.collectives.RegionPlacement;
import numatp.collectives.sync.SequenceFlags;
import numatp.topology.linux.LinuxNuma;
import numatp.topology.linux.NativeCallException;
import numatp.topology.memory.PageResidency;
import numatp.topology.memory.Residency;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The shared memory of one group as seen from one process: the header segment and every
 * rank's region. Thread transports share one instance between all ranks; each process of a
 * process transport has its own instance over the same file.
 */
final class SharedGroup {
    final MemorySegment header;
    final MemorySegment[] regions;
    final int[] nodeOfRank;
    final long slotBytes;
    final String description;
    /**
     * Thread transport only (null for processes): each rank's caller buffer for the current
     * call when peers may read it in place (see {@link HierarchicalAllReduce}), else null.
     * Element r is written by rank r before it publishes the call's first epoch (the release
     * of SEQ publishes it) and read by peers after acquiring that epoch.
     */
    final MemorySegment[] directInputs;
    /** Per rank: the memory policy its region got ("bind", ..., "plain") and why it is not bind (or ""). */
    private final String[] policies;
    private final String[] policyNotes;
    private final Runnable release;

    SharedGroup(MemorySegment header, MemorySegment[] regions, int[] nodeOfRank, long slotBytes,
                String description, boolean threads, String[] policies, String[] policyNotes, Runnable release) {
        this.header = header;
        this.policies = policies.clone();
        this.policyNotes = policyNotes.clone();
        this.directInputs = threads ? new MemorySegment[regions.length] : null;
        this.regions = regions;
        this.nodeOfRank = nodeOfRank.clone();
        this.slotBytes = slotBytes;
        this.description = description;
        this.release = release;
    }

    int size() {
        return regions.length;
    }

    /** Acquire read of the abort state: 0 while the group runs. */
    long abortState() {
        return SequenceFlags.getAcquire(header, GroupLayout.ABORT_STATE);
    }

    /** Records the first abort (later ones are ignored); returns true if this call won. */
    boolean abort(int rank, String reason) {
        if (!SequenceFlags.compareAndSet(header, GroupLayout.ABORT_STATE, 0, GroupLayout.ABORT_CLAIMED)) {
            return false;
        }
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(bytes.length, GroupLayout.MAX_REASON_BYTES);
        MemorySegment.copy(bytes, 0, header, ValueLayout.JAVA_BYTE, GroupLayout.ABORT_REASON, length);
        header.set(ValueLayout.JAVA_INT, GroupLayout.ABORT_REASON_LENGTH, length);
        header.set(ValueLayout.JAVA_LONG, GroupLayout.ABORT_RANK, rank);
        // Publishes the rank and reason written above.
        SequenceFlags.setRelease(header, GroupLayout.ABORT_STATE, GroupLayout.ABORT_PUBLISHED);
        return true;
    }

    /** The abort message once published ("aborted by rank r: reason"); waits briefly while it is being written. */
    String abortMessage() {
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (abortState() == GroupLayout.ABORT_CLAIMED && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        if (abortState() != GroupLayout.ABORT_PUBLISHED) {
            return "communicator aborted (reason not published)";
        }
        int length = header.get(ValueLayout.JAVA_INT, GroupLayout.ABORT_REASON_LENGTH);
        byte[] bytes = new byte[length];
        MemorySegment.copy(header, ValueLayout.JAVA_BYTE, GroupLayout.ABORT_REASON, bytes, 0, length);
        long rank = header.get(ValueLayout.JAVA_LONG, GroupLayout.ABORT_RANK);
        return "communicator aborted by rank " + rank + ": " + new String(bytes, StandardCharsets.UTF_8);
    }

    long sequence(int rank) {
        return SequenceFlags.getAcquire(regions[rank], RankLayout.SEQ);
    }

    long pid(int rank) {
        return SequenceFlags.getAcquire(regions[rank], RankLayout.PID);
    }

    /** Every region's placement, residency sampled now (null where move_pages is unavailable). */
    List<RegionPlacement> placements() {
        LinuxNuma numa = LinuxNuma.system();
        List<RegionPlacement> out = new ArrayList<>(regions.length);
        for (int r = 0; r < regions.length; r++) {
            Residency residency = null;
            if (numa.isNative()) {
                try {
                    residency = PageResidency.sample(numa, regions[r], PageResidency.DEFAULT_MAX_SAMPLES);
                } catch (NativeCallException e) {
                    // Refused (seccomp) or not supported: residency unknown.
                }
            }
            out.add(new RegionPlacement(r, nodeOfRank[r], policies[r], policyNotes[r], residency));
        }
        return out;
    }

    void release() {
        release.run();
    }

    @Override
    public String toString() {
        return description + " " + Arrays.toString(nodeOfRank);
    }
}
