package numatp.server;

import numatp.models.LlamaConfig;
import numatp.models.ModelException;
import numatp.models.tp.EngineHealth;
import numatp.models.tp.EngineUnavailableException;
import numatp.models.tp.SequenceEngine;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link SequenceEngine} whose steps wait for permission: tests hold the scheduler at a
 * step boundary to build a queue, disconnect a client or shut down at a known moment,
 * without depending on how fast the machine is.
 */
public final class GatedEngine implements SequenceEngine {
    private final SequenceEngine delegate;
    private final Semaphore permits = new Semaphore(0);
    private final AtomicInteger entered = new AtomicInteger();
    private volatile boolean open;
    private volatile boolean closed;
    private volatile RuntimeException failure;
    private volatile RuntimeException failNext;
    private volatile boolean broken;
    private volatile boolean breakOnFailure;
    private volatile EngineHealth lost; // set by loseWorker until the recovery
    private volatile CountDownLatch recovery = new CountDownLatch(0);
    private volatile int restarts;

    GatedEngine(SequenceEngine delegate) {
        this.delegate = delegate;
    }

    /** Lets every step through from now on. */
    public void open() {
        open = true;
        permits.release(1 << 20);
    }

    /** Stops steps again (the one running, if any, finishes). */
    public void hold() {
        open = false;
        permits.drainPermits();
    }

    /** Lets {@code steps} more steps through. */
    public void allow(int steps) {
        permits.release(steps);
    }

    /** Permits not yet taken by a step. */
    int availablePermits() {
        return permits.availablePermits();
    }

    /** Every later step throws {@code e} (after passing the gate). */
    void failWith(RuntimeException e) {
        failure = e;
    }

    /** The next step that passes the gate throws {@code e} instead of running; later steps run. */
    void failNext(RuntimeException e) {
        failNext = e;
    }

    /**
     * As a thread team whose shard failed mid-step: every later step throws {@code e}, and once one
     * has, the engine says it is {@link #broken} (not before: it did not lose a part between steps).
     */
    void breakOnStep(RuntimeException e) {
        failure = e;
        breakOnFailure = true;
    }

    /** Every later step throws {@code e}, and the engine says it is {@link #broken}. */
    void breakWith(RuntimeException e) {
        broken = true;
        failure = e;
    }

    /**
     * As an engine of worker processes that lost one: broken and {@code restarting} with
     * {@code detail}, the next step throws {@link EngineUnavailableException}; {@link #recover}
     * then waits for {@link #allowRecovery} and brings the engine back.
     */
    void loseWorker(String detail) {
        recovery = new CountDownLatch(1);
        lost = EngineHealth.restarting(detail, restarts + 1);
        failure = new EngineUnavailableException(detail);
        broken = true;
    }

    /**
     * As an engine that lost a part for good (an MPI rank): broken and {@code failed} with
     * {@code detail}, the next step throws {@link EngineUnavailableException}, {@link #recover} fails.
     */
    void loseForGood(String detail) {
        lost = EngineHealth.failed(detail, restarts);
        failure = new EngineUnavailableException(detail);
        broken = true;
    }

    /** Lets a {@link #recover} in progress (or the next) finish. */
    void allowRecovery() {
        recovery.countDown();
    }

    @Override
    public boolean broken() {
        return broken || delegate.broken();
    }

    @Override
    public EngineHealth health() {
        EngineHealth h = lost;
        return h != null ? h : broken() ? EngineHealth.failed("broken", restarts) : EngineHealth.ok(restarts);
    }

    @Override
    public boolean recover() {
        if (lost == null) {
            return !broken();
        }
        if (lost.state() == EngineHealth.State.FAILED) {
            return false;
        }
        try {
            recovery.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        restarts++;
        failure = null;
        broken = false;
        lost = null;
        return true;
    }

    /** Steps that have started (including one waiting at the gate). */
    int stepsEntered() {
        return entered.get();
    }

    boolean closed() {
        return closed;
    }

    @Override
    public void step(int n, int[] tokens, int[] slots, int[] positions, float[][] logits) {
        entered.incrementAndGet();
        if (!open) {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModelException("interrupted at the gate");
            }
        }
        RuntimeException f = failure;
        if (f != null) {
            broken |= breakOnFailure;
            throw f;
        }
        RuntimeException once = failNext;
        if (once != null) {
            failNext = null;
            throw once;
        }
        delegate.step(n, tokens, slots, positions, logits);
    }

    @Override
    public LlamaConfig config() {
        return delegate.config();
    }

    @Override
    public int slots() {
        return delegate.slots();
    }

    @Override
    public int slotPositions() {
        return delegate.slotPositions();
    }

    @Override
    public int maxBatchEntries() {
        return delegate.maxBatchEntries();
    }

    @Override
    public Counters counters() {
        return delegate.counters();
    }

    @Override
    public void close() {
        closed = true;
        delegate.close();
    }
}
