package numatp.collectives.shm;

import numatp.collectives.CollectiveException;
import numatp.collectives.process.ProcessLiveness;
import numatp.collectives.sync.CurrentCpu;
import numatp.collectives.sync.IdleStrategy;
import numatp.collectives.sync.SequenceFlags;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * One rank's side of the epoch protocol (see {@link RankLayout}): publishing its sequence,
 * waiting for peers to reach a sequence, call descriptors, abort and timeout. Used by one
 * thread; the hot methods allocate nothing.
 */
final class EpochSync {
    static final int OP_BARRIER = 1;
    static final int OP_ALLREDUCE = 2;
    static final int OP_ALLGATHER = 3;
    static final int OP_REDUCESCATTER = 4;
    static final int OP_BROADCAST = 5;
    private static final String[] OP_NAMES = {"?", "barrier", "allReduce", "allGather", "reduceScatter", "broadcast"};
    private static final long LIVENESS_CHECK_NS = 50_000_000L;

    final SharedGroup group;
    final int rank;
    final int size;
    final MemorySegment own;
    final MemorySegment[] regions;
    final long slotBytes;
    private final long timeoutNs;
    private final IdleStrategy idle;
    private final long[] descriptor = new long[RankLayout.DESCRIPTOR_LONGS];

    /** Last sequence this rank published. */
    long seq;
    long callIndex;
    long waitNs;
    /** Waits that started by yielding because the peer last ran on this rank's CPU. */
    long sameCpuWaits;
    /** What this rank last wrote to its {@link RankLayout#CPU} (CPU + 1, 0 unknown). */
    private long cpuHint;
    private int op;
    private boolean checkPending;

    EpochSync(SharedGroup group, int rank, long timeoutNs, IdleStrategy idle) {
        this.group = group;
        this.rank = rank;
        this.size = group.size();
        this.regions = group.regions;
        this.own = regions[rank];
        this.slotBytes = group.slotBytes;
        this.timeoutNs = timeoutNs;
        this.idle = idle;
        this.seq = SequenceFlags.getAcquire(own, RankLayout.SEQ);
    }

    /** Starts a call: fails if aborted, writes the descriptor peers check at the first wait. */
    void begin(int opCode, int type, long count, int root, int algorithm) {
        if (group.abortState() != 0) {
            throw new CollectiveException(group.abortMessage());
        }
        op = opCode;
        long base = RankLayout.descriptor(callIndex);
        descriptor[0] = count;
        descriptor[1] = RankLayout.packCall(callIndex, opCode, type, algorithm, root);
        own.set(ValueLayout.JAVA_LONG, base, descriptor[0]);
        own.set(ValueLayout.JAVA_LONG, base + 8, descriptor[1]);
        checkPending = true;
    }

    void end() {
        callIndex++;
    }

    /** Offset in every region of the slot holding the data of the next {@link #publish()}. */
    long nextSlot() {
        return RankLayout.slot(seq + 1, slotBytes);
    }

    /** Offset of the slot holding the data of the last published sequence. */
    long slot() {
        return RankLayout.slot(seq, slotBytes);
    }

    void publish() {
        seq++;
        // Publishes this rank's slot data for sequence seq (and the call descriptor on a call's first epoch).
        SequenceFlags.setRelease(own, RankLayout.SEQ, seq);
    }

    /** Waits until each of {@code peers} has published at least {@link #seq}. */
    void await(int[] peers) {
        final long target = seq;
        final long start = System.nanoTime();
        for (int i = 0; i < peers.length; i++) {
            final MemorySegment peer = regions[peers[i]];
            // Acquire: makes the peer's slot data for `target` (and descriptor) visible.
            if (SequenceFlags.getAcquire(peer, RankLayout.SEQ) >= target) {
                continue;
            }
            idle.reset();
            if (peerSharesCpu(peer)) {
                idle.yieldFirst();
                sameCpuWaits++;
            }
            long lastLivenessNs = start;
            int polls = 0;
            while (SequenceFlags.getAcquire(peer, RankLayout.SEQ) < target) {
                if (group.abortState() != 0) {
                    throw new CollectiveException(group.abortMessage());
                }
                if ((++polls & 255) == 0 || idle.parking()) {
                    long now = System.nanoTime();
                    if (now - start > timeoutNs) {
                        fail(timeoutMessage(target, peers[i], now - start));
                    }
                    // Parking or spinning alike: a busy-spin wait never parks. One /proc read per 50 ms of waiting.
                    if (now - lastLivenessNs > LIVENESS_CHECK_NS) {
                        lastLivenessNs = now;
                        checkAlive(peers[i], target);
                    }
                }
                idle.idle();
            }
        }
        waitNs += System.nanoTime() - start;
        if (checkPending) {
            checkPending = false;
            checkDescriptors(peers);
        }
    }

    /**
     * Records this rank's CPU for its peers and tells whether {@code peer} last ran on it. When
     * the scheduler has put both on one CPU (the other cores busy), a spinning waiter only
     * delays the peer it waits for: on the 2-core dev machine a 2-rank 1 MiB allreduce took
     * ~240 us with 1,000 spins per wait against ~140 us yielding at once.
     */
    private boolean peerSharesCpu(MemorySegment peer) {
        long cpu = CurrentCpu.get() + 1;
        if (cpu != cpuHint) {
            cpuHint = cpu;
            SequenceFlags.setOpaque(own, RankLayout.CPU, cpu); // a hint only: orders nothing
        }
        return cpu != 0 && SequenceFlags.getOpaque(peer, RankLayout.CPU) == cpu;
    }

    private void checkDescriptors(int[] peers) {
        long mine = RankLayout.descriptor(callIndex);
        for (int peer : peers) {
            for (int i = 0; i < RankLayout.DESCRIPTOR_LONGS; i++) {
                if (regions[peer].get(ValueLayout.JAVA_LONG, mine + 8L * i) != descriptor[i]) {
                    fail(OP_NAMES[op] + ": ranks disagree: rank " + rank + " called " + describe(descriptor)
                            + " but rank " + peer + " called " + describe(readDescriptor(peer, mine)));
                }
            }
        }
    }

    private long[] readDescriptor(int peer, long base) {
        long[] d = new long[RankLayout.DESCRIPTOR_LONGS];
        for (int i = 0; i < d.length; i++) {
            d[i] = regions[peer].get(ValueLayout.JAVA_LONG, base + 8L * i);
        }
        return d;
    }

    private static String describe(long[] d) {
        int opCode = RankLayout.opOf(d[1]);
        int type = RankLayout.typeOf(d[1]);
        int algorithm = RankLayout.algorithmOf(d[1]);
        String name = opCode > 0 && opCode < OP_NAMES.length ? OP_NAMES[opCode] : "op#" + opCode;
        String typeName = type >= 0 && type < numatp.collectives.ElementType.values().length
                ? numatp.collectives.ElementType.values()[type].name() : "type#" + type;
        String algo = algorithm >= 0 && algorithm < numatp.collectives.Algorithm.values().length
                ? numatp.collectives.Algorithm.values()[algorithm].flagName() : "algorithm#" + algorithm;
        return name + "(count=" + d[0] + ", type=" + typeName + ", root=" + RankLayout.rootOf(d[1])
                + ", algorithm=" + algo + ") as call #" + RankLayout.callIndexOf(d[1]);
    }

    private void checkAlive(int peer, long target) {
        long pid = group.pid(peer);
        if (pid == 0 || pid == ProcessHandle.current().pid()) {
            return;
        }
        if (!ProcessLiveness.running(pid) && SequenceFlags.getAcquire(regions[peer], RankLayout.SEQ) < target) {
            fail(OP_NAMES[op] + ": rank " + peer + " (pid " + pid + ") exited before reaching sequence "
                    + target + " (it is at " + group.sequence(peer) + "); seen from rank " + rank);
        }
    }

    private String timeoutMessage(long target, int waitedFor, long waitedNs) {
        // Name the ranks furthest behind: those are the ones that never arrived; the rank we
        // waited for may itself be stuck waiting on them.
        long min = Long.MAX_VALUE;
        for (int r = 0; r < size; r++) {
            min = Math.min(min, group.sequence(r));
        }
        List<String> missing = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            long s = group.sequence(r);
            if (s == min && s < target) {
                long pid = group.pid(r);
                String alive = pid == 0 ? "" : ProcessLiveness.running(pid) ? ", pid " + pid : ", pid " + pid + " exited";
                missing.add(r + " (at sequence " + s + alive + ")");
            }
        }
        return OP_NAMES[op] + ": timed out after " + (waitedNs / 1_000_000) + " ms on rank " + rank
                + " waiting for rank " + waitedFor + " to reach sequence " + target + "; missing ranks: "
                + (missing.isEmpty() ? "[" + waitedFor + "]" : missing.toString());
    }

    /** Aborts the group with {@code message} (first failure wins) and throws. */
    void fail(String message) {
        if (group.abort(rank, message)) {
            throw new CollectiveException(message);
        }
        throw new CollectiveException(group.abortMessage());
    }

    String opName() {
        return OP_NAMES[op];
    }
}
