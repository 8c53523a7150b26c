package numatp.runtime.hosts;

import numatp.models.tp.EngineUnavailableException;

import java.util.concurrent.locks.LockSupport;

/**
 * Runs rank 0's engine steps on a thread of their own, so that a step can be given up. When a
 * peer rank dies, Open MPI 4.1 does not fail the collective in flight: it hangs (the thread
 * inside MPI cannot be interrupted) until mpirun ends the job. With the step on its own thread,
 * {@link #abandon} makes the caller's {@link #run} throw at once, naming the loss, while the
 * stuck thread is left to the process exit; the server can then answer its requests.
 *
 * <p>One caller at a time (the engine's); {@link #abandon} from any thread. The caller parks
 * while the step runs: the hand-over costs two unparks per step.
 */
final class AbandonableStep implements AutoCloseable {
    private final Runnable step;
    private final Thread thread;
    private volatile Thread caller;
    private volatile boolean requested; // set by the caller (publishes the step's inputs), cleared by the step thread
    private volatile boolean done; // set by the step thread (publishes the step's outputs and failure)
    private volatile boolean running; // a step is on the step thread
    private volatile String abandoned;
    private volatile boolean closed;
    private RuntimeException failure; // written before done, read after it
    private Error error;

    /** Starts the step thread, named {@code name}; each {@link #run} runs {@code step} on it once. */
    AbandonableStep(String name, Runnable step) {
        this.step = step;
        this.thread = Thread.ofPlatform().daemon().name(name).start(this::loop);
    }

    /**
     * Runs the step on the step thread and waits for it: rethrows what it threw; throws an
     * {@link EngineUnavailableException} naming the loss once {@link #abandon}ed (then and after).
     */
    void run() {
        String lost = abandoned;
        if (lost != null) {
            throw new EngineUnavailableException(lost);
        }
        if (closed) {
            throw new IllegalStateException("the step thread is closed");
        }
        caller = Thread.currentThread();
        failure = null;
        error = null;
        done = false;
        running = true;
        requested = true; // publishes the inputs the engine wrote before this call
        LockSupport.unpark(thread);
        while (!done) {
            lost = abandoned;
            if (lost != null) {
                throw new EngineUnavailableException(lost);
            }
            LockSupport.park(this);
        }
        if (error != null) {
            throw error;
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void loop() {
        while (!closed) {
            if (!requested) {
                LockSupport.park(this);
                continue;
            }
            requested = false;
            try {
                step.run();
            } catch (RuntimeException e) {
                failure = e;
            } catch (Error e) {
                error = e;
            }
            running = false;
            done = true; // publishes the outputs (the logits) and the failure
            LockSupport.unpark(caller);
        }
    }

    /** Makes a {@link #run} in progress, and every later one, throw naming {@code detail}; the first detail stays. */
    synchronized void abandon(String detail) {
        if (abandoned == null) {
            abandoned = detail;
        }
        Thread c = caller;
        if (c != null) {
            LockSupport.unpark(c);
        }
    }

    /** Whether a step is still on the step thread (after {@link #abandon}: stuck, most likely, in MPI). */
    boolean stepInFlight() {
        return running;
    }

    /** Ends the step thread once it is idle; a stuck one is left to the process exit. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
