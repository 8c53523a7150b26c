package numatp.collectives.team;

import numatp.collectives.sync.IdleStrategy;
import numatp.topology.binding.BindingException;
import numatp.topology.binding.NumaBinder;
import numatp.topology.binding.PinnedThreadFactory;
import numatp.topology.binding.ShardBinding;
import numatp.topology.binding.WorkerOutcome;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The persistent worker threads of a tensor-parallel group: one team per shard, started
 * through a {@link PinnedThreadFactory} so every thread is placed before it does any work.
 * {@link #run} hands one {@link ShardTask} to every shard's leader thread at once and returns
 * when all have finished. When a shard's task throws, the abort hooks run (so the others,
 * waiting in a collective for the failed one, are released) and {@code run} throws a
 * {@link ShardFailedException} naming the first shard that failed.
 *
 * <p>Idle workers and the waiting caller wait with the {@link WorkerOptions#idle()} strategy
 * (spin, yield) and then park until woken, so back-to-back steps hand over in microseconds
 * while an idle group costs no CPU.
 * One caller at a time; {@code run} must not be called from a worker.
 */
public final class ShardGroup implements AutoCloseable {
    private static final long START_TIMEOUT_SECONDS = 60;

    private final IdleStrategy callerIdle; // the one caller's wait in run()
    private final Team[] teams;
    private final List<WorkerOutcome> outcomes;
    private final List<Consumer<String>> abortHooks = new CopyOnWriteArrayList<>();

    private final AtomicLong generation = new AtomicLong();
    private final AtomicInteger remaining = new AtomicInteger();
    private final AtomicReference<ShardFailedException> failure = new AtomicReference<>();
    private volatile ShardTask task;
    private volatile Thread waiter;
    private volatile boolean waiterParked;
    private volatile boolean closed;

    private ShardGroup(List<ShardBinding> bindings, WorkerOptions options, NumaBinder binder) {
        this.callerIdle = options.idle().copy();
        int shards = bindings.size();
        this.teams = new Team[shards];
        List<WorkerOutcome> recorded = Collections.synchronizedList(new ArrayList<>());
        int threads = bindings.stream().mapToInt(ShardBinding::threads).sum();
        CountDownLatch started = new CountDownLatch(threads);
        AtomicReference<BindingException> startFailure = new AtomicReference<>();
        PinnedThreadFactory.Listener listener = new PinnedThreadFactory.Listener() {
            @Override
            public void bound(WorkerOutcome outcome) {
                recorded.add(outcome);
                started.countDown();
            }

            @Override
            public void failed(int shard, int thread, RuntimeException error) {
                startFailure.compareAndSet(null, new BindingException("shard " + shard + " thread " + thread
                        + " could not be placed: " + error.getMessage(), error));
                started.countDown();
            }
        };
        for (int s = 0; s < shards; s++) {
            ShardBinding b = bindings.get(s);
            if (b.shard() != s) {
                throw new IllegalArgumentException("bindings must be in shard order: position " + s + " has shard "
                        + b.shard());
            }
            teams[s] = new Team(this, b, new PinnedThreadFactory(b, options.binding(), binder, listener), options.idle());
        }
        for (Team t : teams) {
            t.start();
        }
        try {
            if (!started.await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                close();
                throw new BindingException("shard threads did not start within " + START_TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new BindingException("interrupted while starting shard threads", e);
        }
        if (startFailure.get() != null) {
            close();
            throw startFailure.get();
        }
        recorded.sort(Comparator.comparingInt(WorkerOutcome::shard).thenComparingInt(WorkerOutcome::thread));
        this.outcomes = List.copyOf(recorded);
    }

    /**
     * Starts one team per binding (bindings in shard order) and waits until every thread is
     * placed.
     *
     * @throws BindingException when a thread cannot be pinned as planned
     */
    public static ShardGroup start(List<ShardBinding> bindings, WorkerOptions options, NumaBinder binder) {
        if (bindings.isEmpty()) {
            throw new IllegalArgumentException("a shard group needs at least one shard");
        }
        return new ShardGroup(bindings, options, binder);
    }

    /** {@code shards} unpinned single-thread shards on node 0 (tests, single-node runs). */
    public static ShardGroup unbound(int shards) {
        List<ShardBinding> bindings = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            bindings.add(ShardBinding.unbound(s));
        }
        return start(bindings, WorkerOptions.unbound(), NumaBinder.system());
    }

    public int shards() {
        return teams.length;
    }

    /** Threads in shard {@code shard}'s team. */
    public int threads(int shard) {
        return teams[shard].binding.threads();
    }

    /** The binding of shard {@code shard}. */
    public ShardBinding binding(int shard) {
        return teams[shard].binding;
    }

    /** How every thread was placed, by shard then thread. */
    public List<WorkerOutcome> outcomes() {
        return outcomes;
    }

    /**
     * Registers a hook run (on the failing thread) when a shard's task fails, with a reason
     * naming the shard: typically {@code communicator::abort}.
     */
    public void onAbort(Consumer<String> hook) {
        abortHooks.add(hook);
    }

    /**
     * Runs {@code step} on every shard's leader thread concurrently and waits for all.
     *
     * @throws ShardFailedException for the first shard whose task threw, after every shard returned
     * @throws IllegalStateException when the group is closed
     */
    public void run(ShardTask step) {
        if (closed) {
            throw new IllegalStateException("shard group is closed");
        }
        failure.set(null);
        task = step;
        waiter = Thread.currentThread();
        waiterParked = false;
        remaining.set(teams.length);
        generation.incrementAndGet();
        for (Team t : teams) {
            t.wakeLeader();
        }
        boolean interrupted = awaitZero(remaining);
        task = null;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        ShardFailedException f = failure.get();
        if (f != null) {
            throw f;
        }
    }

    /**
     * Waits for every leader to finish the step. An interrupt aborts the step (the abort hooks
     * release shards blocked in collectives) and is reported back so the caller's flag is restored.
     */
    private boolean awaitZero(AtomicInteger counter) {
        final IdleStrategy idle = callerIdle;
        idle.reset();
        boolean interrupted = false;
        while (counter.get() != 0) {
            if (!idle.parking()) {
                idle.idle(); // spins, then yields: an unpinned caller may share a CPU with a shard it waits for
                continue;
            }
            waiterParked = true;
            while (counter.get() != 0) {
                LockSupport.park(this);
                if (Thread.interrupted() && !interrupted) {
                    interrupted = true;
                    fail(-1, new InterruptedException("the caller was interrupted while waiting for the step"));
                }
            }
            waiterParked = false;
        }
        return interrupted;
    }

    void leaderDone() {
        if (remaining.decrementAndGet() == 0 && waiterParked) {
            LockSupport.unpark(waiter);
        }
    }

    void fail(int shard, Throwable t) {
        ShardFailedException e = new ShardFailedException(shard, t);
        if (failure.compareAndSet(null, e)) {
            String reason = e.getMessage();
            for (Consumer<String> hook : abortHooks) {
                try {
                    hook.accept(reason);
                } catch (RuntimeException hookFailure) {
                    e.addSuppressed(hookFailure);
                }
            }
        }
    }

    long generation() {
        return generation.get();
    }

    ShardTask task() {
        return task;
    }

    boolean closed() {
        return closed;
    }

    /** Stops every thread; a task still running is given a few seconds to return. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Team t : teams) {
            if (t != null) {
                t.stop();
            }
        }
        for (Team t : teams) {
            if (t != null) {
                t.join(5_000);
            }
        }
    }
}
