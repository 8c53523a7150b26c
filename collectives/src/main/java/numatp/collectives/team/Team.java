package numatp.collectives.team;

import numatp.collectives.sync.IdleStrategy;
import numatp.topology.binding.PinnedThreadFactory;
import numatp.topology.binding.ShardBinding;

import java.util.concurrent.locks.LockSupport;

/**
 * One shard's threads: the leader runs the group's steps, the helpers run their part of
 * the leader's {@link #parallelFor} calls. Every thread waits with its own copy of the
 * group's {@link IdleStrategy}; once that strategy reaches its parking phase, a thread waiting
 * for work parks until it is unparked, so an idle group costs no CPU.
 *
 * <p>Memory layout: the fields the leader writes per fork ({@link ForkLine}) and each helper's
 * fields ({@link HelperSlot}) live in separate objects padded to 128 bytes on both sides, so a
 * helper finishing its part never invalidates the line the next fork is published on.
 */
final class Team implements ShardTeam {
    final ShardBinding binding;
    private final ShardGroup group;
    private final Thread[] threads; // [0] is the leader
    private final ForkLine fork = new ForkLine();
    private final HelperSlot[] helpers; // [0] unused: the leader's own part needs no slot
    private final IdleStrategy leaderIdle;

    Team(ShardGroup group, ShardBinding binding, PinnedThreadFactory factory, IdleStrategy idle) {
        this.group = group;
        this.binding = binding;
        int n = binding.threads();
        this.threads = new Thread[n];
        this.helpers = new HelperSlot[n];
        for (int i = 0; i < n; i++) {
            helpers[i] = new HelperSlot(idle.copy());
        }
        this.leaderIdle = idle.copy();
        threads[0] = factory.newThread(this::leaderLoop);
        for (int i = 1; i < n; i++) {
            final int index = i;
            threads[i] = factory.newThread(() -> helperLoop(index));
        }
    }

    void start() {
        for (Thread t : threads) {
            t.start();
        }
    }

    @Override
    public int threads() {
        return threads.length;
    }

    @Override
    public void parallelFor(int count, RangeBody body) {
        split(count, threads.length, body);
    }

    @Override
    public void parallelFor(int count, long workPerItem, RangeBody body) {
        long total = (long) count * Math.max(1, workPerItem);
        int parts = (int) Math.min(threads.length, Math.max(1, total / MIN_WORK_PER_THREAD));
        split(count, parts, body);
    }

    /** Runs body over [0, count) in {@code parts} parts on the leader and helpers 1..parts-1. */
    private void split(int count, int parts, RangeBody body) {
        if (parts > count) {
            parts = Math.max(1, count);
        }
        if (parts == 1) {
            body.run(0, count);
            return;
        }
        final ForkLine f = fork;
        f.body = body;
        f.count = count;
        f.parts = parts;
        long generation = f.generation + 1;
        f.generation = generation; // volatile write: publishes body, count and parts to the helpers
        for (int i = 1; i < parts; i++) {
            HelperSlot h = helpers[i];
            if (h.parked) {
                LockSupport.unpark(threads[i]);
            }
        }
        Throwable failed = null;
        try {
            body.run(0, (int) ((long) count / parts));
        } catch (Throwable t) {
            failed = t;
        }
        final IdleStrategy idle = leaderIdle;
        for (int i = 1; i < parts; i++) {
            HelperSlot h = helpers[i];
            idle.reset();
            while (h.done != generation) { // volatile read: acquires the helper's part and its failure
                idle.idle();
            }
            Throwable helperFailed = h.failure;
            if (helperFailed != null) {
                failed = failed == null ? helperFailed : failed;
                h.failure = null; // the helper writes it again only after the next fork
            }
        }
        f.body = null;
        if (failed instanceof RuntimeException re) {
            throw re;
        }
        if (failed instanceof Error err) {
            throw err;
        }
    }

    void wakeLeader() {
        if (fork.leaderParked) {
            LockSupport.unpark(threads[0]);
        }
    }

    private void leaderLoop() {
        long seen = 0; // not generation(): a step may already be published before this thread gets here
        while (true) {
            long g = awaitStep(seen);
            if (g < 0) {
                return;
            }
            seen = g;
            ShardTask t = group.task();
            try {
                t.run(binding.shard(), this);
            } catch (Throwable e) {
                group.fail(binding.shard(), e);
            }
            group.leaderDone();
        }
    }

    /** Waits until the group publishes a step after {@code seen}; -1 when the group closes. */
    private long awaitStep(long seen) {
        final IdleStrategy idle = leaderIdle;
        final ForkLine f = fork;
        idle.reset();
        while (true) {
            long g = group.generation();
            if (g != seen) {
                return g;
            }
            if (group.closed()) {
                return -1;
            }
            if (!idle.parking()) {
                idle.idle();
                continue;
            }
            f.leaderParked = true; // volatile: the group reads it after publishing the next step
            if (group.generation() == seen && !group.closed()) {
                LockSupport.park(this);
            }
            f.leaderParked = false;
        }
    }

    private void helperLoop(int index) {
        final HelperSlot h = helpers[index];
        final ForkLine f = fork;
        final IdleStrategy idle = h.idle;
        long seen = 0;
        while (true) {
            idle.reset();
            long g;
            while ((g = f.generation) == seen) { // volatile read: acquires body, count and parts
                if (group.closed()) {
                    return;
                }
                if (!idle.parking()) {
                    idle.idle();
                    continue;
                }
                h.parked = true; // volatile: the leader reads it after publishing the next fork
                if (f.generation == seen && !group.closed()) {
                    LockSupport.park(this);
                }
                h.parked = false;
            }
            seen = g;
            int p = f.parts;
            if (index >= p) {
                continue; // this fork uses fewer threads
            }
            int c = f.count;
            try {
                f.body.run((int) ((long) c * index / p), (int) ((long) c * (index + 1) / p));
            } catch (Throwable e) {
                h.failure = e;
            }
            h.done = g; // volatile write: publishes this part's results and failure to the leader
        }
    }

    void stop() {
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
    }

    void join(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        for (Thread t : threads) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** 128 bytes before the leader's fork fields. */
    abstract static class ForkLinePad {
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
    }

    /** Written by the leader only; read by the helpers (and {@code leaderParked} by the group). */
    abstract static class ForkLineFields extends ForkLinePad {
        /** Fork sequence; written last per fork (release), helpers poll it (acquire). */
        volatile long generation;
        /** The fork's work, published by {@link #generation}. */
        RangeBody body;
        int count;
        int parts;
        /** The leader is parked waiting for a step; the group unparks it. */
        volatile boolean leaderParked;
    }

    /** 128 bytes after, so nothing else shares the fork fields' lines. */
    static final class ForkLine extends ForkLineFields {
        long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;
    }

    abstract static class HelperSlotPad {
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
    }

    /** Written by one helper; read by the leader. */
    abstract static class HelperSlotFields extends HelperSlotPad {
        /** The last fork this helper finished (release); the leader polls it (acquire). */
        volatile long done;
        /** The helper is parked waiting for a fork; the leader unparks it. */
        volatile boolean parked;
        /** What this helper's part threw, published by {@link #done}; cleared by the leader. */
        Throwable failure;
        /** This helper's wait, its own instance (strategies keep state). */
        IdleStrategy idle;
    }

    static final class HelperSlot extends HelperSlotFields {
        long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

        HelperSlot(IdleStrategy idle) {
            this.idle = idle;
        }
    }
}
