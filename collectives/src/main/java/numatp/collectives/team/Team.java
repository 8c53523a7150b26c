package numatp.collectives.team;

import numatp.topology.binding.PinnedThreadFactory;
import numatp.topology.binding.ShardBinding;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * One shard's threads: the leader runs the group's steps, the helpers run their part of
 * the leader's {@link #parallelFor} calls. Waiting is spin-then-park on both sides.
 */
final class Team implements ShardTeam {
    final ShardBinding binding;
    private final ShardGroup group;
    private final Thread[] threads; // [0] is the leader
    private volatile boolean leaderParked;
    private final Parked[] helperParked;

    // parallelFor state, published by the leader through forkGeneration
    private final AtomicLong forkGeneration = new AtomicLong();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<Throwable> helperFailure = new AtomicReference<>();
    private final LongSupplier stepGeneration;
    private final LongSupplier forkGenerationSource;
    private volatile RangeBody body;
    private volatile int count;
    private volatile int parts;
    private static final int SPINS_BEFORE_YIELD = 2_000;

    /** A volatile flag per helper (an array of volatiles). */
    private static final class Parked {
        volatile boolean value;
    }

    Team(ShardGroup group, ShardBinding binding, PinnedThreadFactory factory) {
        this.group = group;
        this.binding = binding;
        int n = binding.threads();
        this.threads = new Thread[n];
        this.stepGeneration = group::generation;
        this.forkGenerationSource = forkGeneration::get;
        this.helperParked = new Parked[n];
        for (int i = 0; i < n; i++) {
            helperParked[i] = new Parked();
        }
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
        this.body = body;
        this.count = count;
        this.parts = parts;
        helperFailure.set(null);
        pending.set(parts - 1);
        forkGeneration.incrementAndGet();
        for (int i = 1; i < parts; i++) {
            if (helperParked[i].value) {
                LockSupport.unpark(threads[i]);
            }
        }
        Throwable own = null;
        try {
            body.run(0, (int) ((long) count / parts));
        } catch (Throwable t) {
            own = t;
        }
        // spin briefly, then yield: a helper descheduled on a busy machine must get the CPU back
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        this.body = null;
        Throwable failed = own != null ? own : helperFailure.get();
        if (failed instanceof RuntimeException re) {
            throw re;
        }
        if (failed instanceof Error err) {
            throw err;
        }
    }

    void wakeLeader() {
        if (leaderParked) {
            LockSupport.unpark(threads[0]);
        }
    }

    private void leaderLoop() {
        long seen = 0; // not generation(): a step may already be published before this thread gets here
        while (true) {
            long g = awaitChange(stepGeneration, seen, true, 0);
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

    private void helperLoop(int index) {
        long seen = 0;
        while (true) {
            long g = awaitChange(forkGenerationSource, seen, false, index);
            if (g < 0) {
                return;
            }
            seen = g;
            int p = parts;
            if (index >= p) {
                continue; // this fork uses fewer threads
            }
            int c = count;
            try {
                body.run((int) ((long) c * index / p), (int) ((long) c * (index + 1) / p));
            } catch (Throwable e) {
                helperFailure.compareAndSet(null, e);
            }
            pending.decrementAndGet();
        }
    }

    /** Waits until {@code source} differs from {@code seen}; -1 when the group closes. */
    private long awaitChange(LongSupplier source, long seen, boolean leader, int index) {
        long spinUntil = System.nanoTime() + group.spinNanos();
        int spins = 0;
        while (true) {
            long g = source.getAsLong();
            if (g != seen) {
                return g;
            }
            if (group.closed()) {
                return -1;
            }
            if (++spins < 64) {
                Thread.onSpinWait();
                continue;
            }
            if (System.nanoTime() < spinUntil) {
                Thread.yield(); // gives the CPU to a thread that shares it (the caller, an oversubscribed peer)
                continue;
            }
            setParked(leader, index, true);
            if (source.getAsLong() == seen && !group.closed()) {
                LockSupport.park(this);
            }
            setParked(leader, index, false);
            spins = 0;
            spinUntil = System.nanoTime() + group.spinNanos();
        }
    }

    private void setParked(boolean leader, int index, boolean value) {
        if (leader) {
            leaderParked = value;
        } else {
            helperParked[index].value = value;
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
}
