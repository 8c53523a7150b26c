package numatp.models.tp;

import numatp.collectives.sync.IdleStrategy;
import numatp.models.ModelException;
import numatp.topology.NumatpException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Persistent threads that run one task on every shard and return when all are done:
 * shard 0 runs on the calling thread, shards 1.. on their own platform threads. The
 * stand-in for {@code numatp.topology.workers.ShardGroup} (same shape: {@link #run},
 * {@link #onAbort}); all thread dispatch of the engine lives here so it can be swapped.
 *
 * <p>Handoff: the caller bumps {@code epoch} (release); each worker waits for it with an
 * {@link IdleStrategy} (spin, yield) and then parks untimed after raising its
 * {@code parked} flag; the caller unparks only flagged workers. A worker publishes the
 * epoch it finished in its own 128-byte-spaced slot of {@code done}; the caller waits for
 * all slots the same way. No allocation per {@link #run}.
 */
final class ShardThreads implements AutoCloseable {
    /** Work for one shard; must not allocate per call if the caller cares. */
    @FunctionalInterface
    interface Task {
        void run(int shard);
    }

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle EPOCH;
    private static final VarHandle CALLER_PARKED;
    private static final int STRIDE = 16; // longs per slot: 128 bytes between flags of different writers

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            EPOCH = l.findVarHandle(ShardThreads.class, "epoch", long.class);
            CALLER_PARKED = l.findVarHandle(ShardThreads.class, "callerParked", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int shards;
    private final Thread[] threads; // [shards], index 0 unused (the caller)
    private final long[] done; // [shards * STRIDE]: epoch finished by shard s, written by s, read by the caller
    private final int[] parked; // [shards * STRIDE * 2]: 1 while worker s is parked, written by s, read by the caller
    private final Throwable[] failures; // [shards], written by s before its done slot, read after it
    private final List<Consumer<String>> abortHooks = new CopyOnWriteArrayList<>();
    private final IdleStrategy callerIdle;
    private volatile Task task; // published by the epoch release
    private volatile Thread caller;
    private volatile boolean closed;
    @SuppressWarnings("unused") // through EPOCH
    private long epoch; // steps started, written by the caller, read by the workers
    @SuppressWarnings("unused") // through CALLER_PARKED
    private int callerParked;

    ShardThreads(int shards, String name) {
        if (shards < 1) {
            throw new ModelException("shards must be >= 1: " + shards);
        }
        this.shards = shards;
        this.threads = new Thread[shards];
        this.done = new long[shards * STRIDE];
        this.parked = new int[shards * STRIDE * 2];
        this.failures = new Throwable[shards];
        int cpus = Runtime.getRuntime().availableProcessors();
        this.callerIdle = IdleStrategy.forRanks(shards, cpus);
        for (int s = 1; s < shards; s++) {
            final int shard = s;
            final IdleStrategy idle = IdleStrategy.forRanks(shards, cpus);
            threads[s] = Thread.ofPlatform().name(name + "-" + s).daemon(true).unstarted(() -> workerLoop(shard, idle));
            threads[s].start();
        }
    }

    int shards() {
        return shards;
    }

    /** Runs on the group's abort: the first failing shard's message. */
    void onAbort(Consumer<String> hook) {
        abortHooks.add(hook);
    }

    /**
     * Runs {@code t} on every shard and returns when all have finished. If any shard throws,
     * the abort hooks run (so peers blocked in collectives give up) and the first failure is
     * rethrown: a {@link NumatpException} as it is, anything else wrapped naming the shard.
     */
    void run(Task t) {
        if (closed) {
            throw new ModelException("the engine's shard threads are closed");
        }
        caller = Thread.currentThread();
        task = t;
        long e = (long) EPOCH.getAcquire(this) + 1;
        EPOCH.setRelease(this, e); // publishes task to the workers
        for (int s = 1; s < shards; s++) {
            if ((int) INTS.getVolatile(parked, s * STRIDE * 2) != 0) {
                LockSupport.unpark(threads[s]);
            }
        }
        Throwable first = null;
        int failedShard = -1;
        try {
            t.run(0);
        } catch (Throwable x) {
            first = x;
            failedShard = 0;
            abort("shard 0 failed: " + x);
        }
        for (int s = 1; s < shards; s++) {
            awaitDone(s, e);
            Throwable f = failures[s];
            if (f != null) {
                failures[s] = null;
                if (first == null) {
                    first = f;
                    failedShard = s;
                }
            }
        }
        task = null;
        if (first != null) {
            if (first instanceof NumatpException ne) {
                throw ne;
            }
            throw new ModelException("shard " + failedShard + " failed: " + first, first);
        }
    }

    private void awaitDone(int s, long e) {
        final long[] done = this.done;
        final int at = s * STRIDE;
        if ((long) LONGS.getAcquire(done, at) >= e) {
            return;
        }
        IdleStrategy idle = callerIdle;
        idle.reset();
        while ((long) LONGS.getAcquire(done, at) < e) {
            if (idle.parking()) {
                CALLER_PARKED.setVolatile(this, 1);
                if ((long) LONGS.getVolatile(done, at) < e) {
                    LockSupport.park(this);
                }
                CALLER_PARKED.setVolatile(this, 0);
            } else {
                idle.idle();
            }
        }
    }

    private void abort(String reason) {
        for (Consumer<String> h : abortHooks) {
            try {
                h.accept(reason);
            } catch (RuntimeException ignored) {
                // an abort hook must not hide the failure being reported
            }
        }
    }

    private void workerLoop(int shard, IdleStrategy idle) {
        long seen = 0;
        final int parkAt = shard * STRIDE * 2;
        while (true) {
            idle.reset();
            long e;
            while ((e = (long) EPOCH.getAcquire(this)) == seen) {
                if (closed) {
                    return;
                }
                if (idle.parking()) {
                    INTS.setVolatile(parked, parkAt, 1);
                    if ((long) EPOCH.getVolatile(this) == seen && !closed) {
                        LockSupport.park(this);
                    }
                    INTS.setVolatile(parked, parkAt, 0);
                } else {
                    idle.idle();
                }
            }
            seen = e;
            Task t = task;
            try {
                t.run(shard);
            } catch (Throwable x) {
                failures[shard] = x;
                abort("shard " + shard + " failed: " + x);
            }
            LONGS.setRelease(done, shard * STRIDE, e); // publishes failures[shard] and the shard's results
            if ((int) CALLER_PARKED.getVolatile(this) != 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    /** Stops the worker threads (they finish the current task first). */
    @Override
    public void close() {
        closed = true;
        for (int s = 1; s < shards; s++) {
            LockSupport.unpark(threads[s]);
        }
        for (int s = 1; s < shards; s++) {
            try {
                threads[s].join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
