package numatp.server;

import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tp.EngineHealth;
import numatp.models.tp.EngineUnavailableException;
import numatp.models.tp.SequenceEngine;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Continuous batching over a {@link SequenceEngine}. One thread owns the engine. Requests
 * wait in a bounded queue; between steps the scheduler frees the slots of finished and
 * cancelled sequences, admits waiting requests into free slots, and builds one step out
 * of every running sequence's next entries: one decode token per generating sequence,
 * then prompt chunks of the sequences still prefilling, up to the engine's batch limit.
 * After the step it samples each sequence that got logits with its own sampler and hands
 * the text to the sequence's sink.
 *
 * <p>Failures stay with the requests they belong to: a step that throws fails the
 * sequences that had entries in it and frees their slots, a sampling or decoding error
 * fails its sequence; everything else runs on. An engine that reports itself
 * {@linkplain SequenceEngine#broken broken} (a worker process died) has lost every running
 * sequence's KV cache: they all end (a 503 naming what was lost, or a 500 for any other
 * failure), and the scheduler asks the engine to {@linkplain SequenceEngine#recover recover}
 * while requests wait in the queue; only an engine that cannot recover ends the server's
 * service (every request then gets a 500 and {@code /health} a 503, and
 * {@link #engineFailed()} says so).
 *
 * <p>A server with several replicas has one scheduler per replica, each with its own engine;
 * {@link ReplicaRouter} picks one per request from {@link #outstanding()} and {@link #accepting()}.
 *
 * <p>Shutdown ({@link #shutdown}) stops accepting, lets running and waiting sequences
 * finish until a deadline, then aborts the rest; the thread ends when nothing is left.
 */
public final class Scheduler {
    private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());
    private static final long IDLE_POLL_MS = 50;

    private final SequenceEngine engine;
    private final TextTokenizer tokenizer;
    private final ServeMetrics.Replica metrics;
    private final int replica;
    private final int maxQueue;
    private final int vocabSize;
    private final ArrayBlockingQueue<Sequence> waiting;
    private final Thread thread;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final Object submitLock = new Object(); // orders submit() against the end of accepting

    // Scheduler-thread state.
    private final Sequence[] running; // [slots], in admission order, first runningCount used
    private int runningCount;
    private final int[] freeSlots; // stack of free slot ids
    private int freeCount;
    private final int[] stepTokens; // [maxBatchEntries]
    private final int[] stepSlots; // [maxBatchEntries]
    private final int[] stepPositions; // [maxBatchEntries]
    private final float[][] stepLogits; // [maxBatchEntries], a slot's logits buffer or null
    private final float[][] slotLogits; // [slots][vocab]
    private final Sequence[] sampled; // [slots] sequences that get logits from the current step
    private final int[] fedThisStep; // [slots] entries each running sequence (by running index) fed
    private int previousEntries;

    // Shared state.
    private volatile boolean accepting = true; // guarded by submitLock for writes
    private volatile long drainDeadlineNs; // valid once stopping
    private volatile boolean stopping;
    private volatile boolean abortNow;
    private volatile String failedErrorId; // set when the engine failed: the server is unusable
    private volatile String failedUnavailable; // with it, what the engine lost (a 503 names it), or null
    private volatile int runningPublished; // runningCount, for metrics
    private volatile SequenceEngine.Counters countersPublished = new SequenceEngine.Counters(0, 0, 0, 0);
    private final AtomicInteger outstanding = new AtomicInteger(); // submitted and not yet finished
    private volatile boolean handOffWaiting; // set before start()

    /**
     * @param maxQueue requests that may wait for a slot; one more is refused with 429
     */
    public Scheduler(SequenceEngine engine, TextTokenizer tokenizer, int maxQueue, ServeMetrics metrics) {
        this(engine, tokenizer, maxQueue, metrics, 0);
    }

    /**
     * The scheduler of replica {@code replica} (0, 1, ... in the order the server made them).
     *
     * @param maxQueue requests that may wait for a slot of this replica; one more is refused with 429
     */
    public Scheduler(SequenceEngine engine, TextTokenizer tokenizer, int maxQueue, ServeMetrics metrics, int replica) {
        if (maxQueue < 1) {
            throw new ServeException("--max-queue must be >= 1: " + maxQueue);
        }
        int slots = engine.slots();
        if (engine.maxBatchEntries() < slots) {
            throw new ServeException("the engine takes " + engine.maxBatchEntries() + " entries per step, fewer than its "
                    + slots + " slots");
        }
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.metrics = metrics.replica(replica);
        this.replica = replica;
        this.maxQueue = maxQueue;
        this.vocabSize = engine.config().vocabSize();
        this.waiting = new ArrayBlockingQueue<>(maxQueue);
        this.running = new Sequence[slots];
        this.freeSlots = new int[slots];
        for (int s = 0; s < slots; s++) {
            freeSlots[s] = slots - 1 - s; // slot 0 on top
        }
        this.freeCount = slots;
        int max = engine.maxBatchEntries();
        this.stepTokens = new int[max];
        this.stepSlots = new int[max];
        this.stepPositions = new int[max];
        this.stepLogits = new float[max][];
        this.slotLogits = new float[slots][vocabSize];
        this.sampled = new Sequence[slots];
        this.fedThisStep = new int[slots];
        this.thread = Thread.ofPlatform().name(replica == 0 ? "tp-scheduler" : "tp-scheduler-" + replica)
                .unstarted(this::loop);
        metrics.watch(this);
    }

    /** Starts the scheduler thread. */
    public void start() {
        thread.start();
    }

    /**
     * Queues {@code request}; its output goes to {@code sink}.
     *
     * @throws ApiException 429 when the queue is full, 503 when shutting down or the engine failed
     */
    public Generation submit(GenerationRequest request, GenerationSink sink) {
        if (request.positionsNeeded() > engine.slotPositions()) {
            throw new IllegalArgumentException("request needs " + request.positionsNeeded() + " positions, slots hold "
                    + engine.slotPositions());
        }
        Sequence s = new Sequence(request, sink);
        synchronized (submitLock) {
            if (failedErrorId != null) {
                String lost = failedUnavailable;
                throw (lost != null ? ApiError.engineFailed(lost + " (error id " + failedErrorId + ")")
                        : ApiError.internal(failedErrorId)).exception();
            }
            if (!accepting) {
                throw ApiError.shuttingDown().exception();
            }
            outstanding.incrementAndGet(); // before the scheduler thread can take and finish it
            if (!waiting.offer(s)) {
                outstanding.decrementAndGet();
                throw ApiError.queueFull(maxQueue).exception();
            }
        }
        metrics.submitted();
        return s;
    }

    /** This scheduler's replica index. */
    public int replica() {
        return replica;
    }

    /** The engine this scheduler drives (read its state only; the scheduler thread owns it). */
    public SequenceEngine engine() {
        return engine;
    }

    /**
     * Requests submitted and not yet finished: waiting, running, or between the two. Counted at
     * submission, so a burst of requests sees each other's load before the scheduler admits them.
     */
    public int outstanding() {
        return outstanding.get();
    }

    /**
     * Whether this replica takes requests and its engine runs steps now: not stopping, not failed,
     * not restarting after a lost worker. The router sends new requests only to serving replicas.
     */
    public boolean serving() {
        return accepting() && engine.health().ok();
    }

    /**
     * With several replicas: when the engine is lost, the waiting requests end at once (as
     * {@link FinishReason#UNAVAILABLE}, having produced nothing) instead of waiting for the restart,
     * so the router runs them on another replica. Call before {@link #start}.
     */
    void handOffWaitingWhenLost() {
        handOffWaiting = true;
    }

    /** The error id logged when the engine failed, or null while it works. */
    public String failedErrorId() {
        return failedErrorId;
    }

    public int queueDepth() {
        return waiting.size();
    }

    public int running() {
        return runningPublished;
    }

    public int slots() {
        return running.length;
    }

    public SequenceEngine.Counters counters() {
        return countersPublished;
    }

    public boolean accepting() {
        return accepting && failedErrorId == null;
    }

    /** The engine's own health (restarting after a lost worker, say); any thread may ask. */
    public EngineHealth engineHealth() {
        return engine.health();
    }

    /** True once the engine failed for good: the scheduler stopped and the server cannot serve again. */
    public boolean engineFailed() {
        return failedErrorId != null;
    }

    /**
     * Stops accepting requests; what is running or waiting may finish until
     * {@code deadlineNs} ({@link System#nanoTime()} clock), then it is aborted. Returns at once.
     */
    public void shutdown(long deadlineNs) {
        synchronized (submitLock) {
            accepting = false;
        }
        drainDeadlineNs = deadlineNs;
        stopping = true;
    }

    /** Aborts everything at the next step boundary and stops. */
    public void shutdownNow() {
        abortNow = true;
        shutdown(System.nanoTime());
    }

    /** Waits for the scheduler thread to end; true when it did within the time. */
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    private void loop() {
        try {
            while (true) {
                dropCancelled();
                if (stopping && (abortNow || System.nanoTime() - drainDeadlineNs >= 0)) {
                    abortAll(FinishReason.ABORTED, null);
                }
                if (stopping && runningCount == 0 && waiting.isEmpty()) {
                    return;
                }
                if (engine.broken()) { // lost between steps (a worker died while idle)
                    engineLost(Ids.error(), null);
                    continue;
                }
                admit();
                if (runningCount == 0) {
                    Sequence next = waiting.poll(IDLE_POLL_MS, TimeUnit.MILLISECONDS);
                    if (next != null) {
                        admitOne(next);
                    }
                    continue;
                }
                int n = buildStep();
                try {
                    engine.step(n, stepTokens, stepSlots, stepPositions, stepLogits);
                } catch (RuntimeException e) {
                    stepFailed(e);
                    continue;
                }
                countersPublished = engine.counters();
                afterStep();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abortAll(FinishReason.ABORTED, null);
        } catch (Throwable t) {
            engineFailed(t);
        } finally {
            synchronized (submitLock) {
                accepting = false;
            }
            abortAll(FinishReason.ABORTED, null);
            terminated.countDown();
        }
    }

    /** Frees the slots of sequences whose client went away. */
    private void dropCancelled() {
        for (int i = 0; i < runningCount; i++) {
            if (running[i].cancelled()) {
                finish(running[i], FinishReason.CANCELLED, null);
                running[i] = null;
            }
        }
        compactRunning();
    }

    private void admit() {
        while (freeCount > 0) {
            Sequence s = waiting.poll();
            if (s == null) {
                return;
            }
            admitOne(s);
        }
    }

    private void admitOne(Sequence s) {
        if (s.cancelled()) {
            metrics.finished(FinishReason.CANCELLED, seconds(System.nanoTime() - s.submittedNs));
            outstanding.decrementAndGet();
            s.sink.onFinish(FinishReason.CANCELLED, s.promptLength, 0, null);
            return;
        }
        int slot = freeSlots[--freeCount];
        s.admit(slot, vocabSize, tokenizer);
        running[runningCount++] = s;
        runningPublished = runningCount;
        metrics.admitted(s.promptLength, seconds(System.nanoTime() - s.submittedNs));
    }

    /**
     * Fills the step arrays: first one decode entry per generating sequence, then the
     * prompt chunks of prefilling sequences in admission order while room is left.
     * Returns the entry count; {@link #sampled} and {@link #fedThisStep} say who gets what.
     */
    private int buildStep() {
        final int max = engine.maxBatchEntries();
        int n = 0;
        for (int i = 0; i < runningCount; i++) {
            Sequence s = running[i];
            fedThisStep[i] = 0;
            sampled[i] = null;
            if (s.prefilled()) {
                stepTokens[n] = s.lastToken();
                stepSlots[n] = s.slot;
                stepPositions[n] = s.fed;
                stepLogits[n] = slotLogits[s.slot];
                n++;
                fedThisStep[i] = 1;
                sampled[i] = s;
            }
        }
        for (int i = 0; i < runningCount && n < max; i++) {
            Sequence s = running[i];
            if (s.prefilled()) {
                continue;
            }
            int chunk = Math.min(s.promptLength - s.fed, max - n);
            for (int k = 0; k < chunk; k++) {
                int pos = s.fed + k;
                stepTokens[n] = s.tokens[pos];
                stepSlots[n] = s.slot;
                stepPositions[n] = pos;
                boolean last = pos == s.promptLength - 1;
                stepLogits[n] = last ? slotLogits[s.slot] : null;
                n++;
                if (last) {
                    sampled[i] = s;
                }
            }
            fedThisStep[i] = chunk;
        }
        for (int i = n; i < previousEntries; i++) {
            stepLogits[i] = null; // no stale buffer past the step
        }
        previousEntries = n;
        return n;
    }

    private void afterStep() {
        int sequences = 0;
        int entries = 0;
        long now = System.nanoTime();
        for (int i = 0; i < runningCount; i++) {
            Sequence s = running[i];
            if (fedThisStep[i] == 0) {
                continue;
            }
            sequences++;
            entries += fedThisStep[i];
            s.fed += fedThisStep[i];
            if (sampled[i] == null) {
                continue;
            }
            sampled[i] = null;
            FinishReason end;
            try {
                end = sample(s, now);
            } catch (RuntimeException e) {
                // Sampling and decoding are this sequence's alone (a token its tokenizer cannot
                // decode, say): it fails, the others and the engine go on.
                String id = Ids.error();
                LOG.log(System.Logger.Level.ERROR, "sampling failed (error id " + id + "): " + cause(e)
                        + "; that request failed, serving on", e);
                finish(s, FinishReason.FAILED, id);
                running[i] = null;
                continue;
            }
            if (end != null) {
                finish(s, end, null);
                running[i] = null;
            }
        }
        compactRunning();
        metrics.step(sequences, entries);
    }

    /** Samples the next token of {@code s} from its slot's logits; returns why it ended, or null. */
    private FinishReason sample(Sequence s, long now) {
        int token = s.sampler.sample(slotLogits[s.slot]);
        // BOS stops too: it starts a new text (run.c and tp generate stop there); -1 when the vocabulary has none
        if (tokenizer.isEndOfGeneration(token) || token == tokenizer.bos() || s.request.isStopToken(token)) {
            return FinishReason.STOP;
        }
        int previous = s.tokens[s.promptLength + s.generated - 1];
        s.tokens[s.promptLength + s.generated] = token;
        s.generated++;
        if (s.generated == 1) {
            s.firstTokenNs = now;
            metrics.firstToken(seconds(now - s.submittedNs));
        } else {
            metrics.nextToken(seconds(now - s.lastTokenNs));
        }
        s.lastTokenNs = now;
        String text = s.text.append(previous, token);
        if (!text.isEmpty()) {
            s.sink.onText(text);
        }
        if (s.text.stopped()) {
            return FinishReason.STOP;
        }
        if (s.generated == s.request.maxTokens() || s.promptLength + s.generated - 1 >= engine.slotPositions()) {
            return FinishReason.LENGTH;
        }
        return null;
    }

    /** Ends {@code s}: flushes its text, tells its sink, frees its slot. The caller removes it from {@link #running}. */
    private void finish(Sequence s, FinishReason reason, String errorId) {
        if (reason == FinishReason.STOP || reason == FinishReason.LENGTH) {
            String rest = s.text.finish();
            if (!rest.isEmpty()) {
                s.sink.onText(rest);
            }
        }
        if (s.slot >= 0) {
            freeSlots[freeCount++] = s.slot;
            s.slot = -1;
        }
        metrics.finished(reason, seconds(System.nanoTime() - s.submittedNs));
        outstanding.decrementAndGet(); // before the sink: a request the router retries is no longer here
        s.sink.onFinish(reason, s.promptLength, s.generated, errorId);
    }

    private void compactRunning() {
        int j = 0;
        for (int i = 0; i < runningCount; i++) {
            if (running[i] != null) {
                running[j++] = running[i];
            }
        }
        for (int i = j; i < runningCount; i++) {
            running[i] = null;
        }
        runningCount = j;
        runningPublished = j;
    }

    /** Ends every running and waiting sequence with {@code reason}. */
    private void abortAll(FinishReason reason, String errorId) {
        for (int i = 0; i < runningCount; i++) {
            finish(running[i], reason, errorId);
            running[i] = null;
        }
        compactRunning();
        Sequence s;
        while ((s = waiting.poll()) != null) {
            finish(s, reason, errorId);
        }
    }

    /**
     * A step threw. The sequences that had entries in it fail (their slots are freed, so
     * the next sequence there starts over at position 0 and nothing of the failed step is
     * read again); sequences that were not in it, and the queue, go on. An engine that says
     * it is {@linkplain SequenceEngine#broken broken} is lost ({@link #engineLost}); its health
     * then says so before any sequence hears of it, so a sink that runs the request again
     * elsewhere (the {@link ReplicaRouter}) already sees this replica as not serving.
     */
    private void stepFailed(RuntimeException e) {
        String id = Ids.error();
        if (engine.broken()) {
            engineLost(id, e);
            return;
        }
        int failed = 0;
        for (int i = 0; i < runningCount; i++) {
            sampled[i] = null;
            if (fedThisStep[i] > 0) {
                finish(running[i], FinishReason.FAILED, id);
                running[i] = null;
                failed++;
            }
        }
        compactRunning();
        LOG.log(System.Logger.Level.ERROR, "engine step failed (error id " + id + "): " + cause(e) + "; failed the "
                + failed + " request(s) in that step, serving on", e);
    }

    /**
     * The engine is broken ({@code cause} the step's exception, or null when it broke between
     * steps): every running sequence ends, as its KV cache went with the engine, with a 503 naming
     * what was lost when the engine lost a part of itself, else as FAILED. Then the engine recovers
     * (the queue goes on) or the server stops serving.
     */
    private void engineLost(String id, RuntimeException cause) {
        boolean lostPart = cause == null || cause instanceof EngineUnavailableException;
        String detail = cause != null ? cause.getMessage() : engine.health().detail();
        EngineHealth.State state = engine.health().state();
        String said = detail + (state == EngineHealth.State.RESTARTING ? "; it is restarting, retry the request"
                : state == EngineHealth.State.FAILED ? "; it cannot continue" : "") + " (error id " + id + ")";
        int failed = runningCount;
        for (int i = 0; i < runningCount; i++) {
            sampled[i] = null;
            finish(running[i], lostPart ? FinishReason.UNAVAILABLE : FinishReason.FAILED, lostPart ? said : id);
            running[i] = null;
        }
        compactRunning();
        int handedOff = 0;
        if (handOffWaiting) {
            Sequence s;
            while ((s = waiting.poll()) != null) {
                finish(s, FinishReason.UNAVAILABLE, said);
                handedOff++;
            }
        }
        EngineHealth health = engine.health();
        LOG.log(System.Logger.Level.ERROR, "engine lost (error id " + id + (handOffWaiting ? ", replica " + replica
                : "") + "): " + (cause != null ? cause(cause) : detail) + "; failed the " + failed
                + " running request(s)" + (handOffWaiting ? ", handed " + handedOff + " waiting to the other replicas"
                : "") + (health.state() == EngineHealth.State.RESTARTING ? "; restarting it"
                + (handOffWaiting ? "" : ", requests wait in the queue") : ""));
        if (engine.recover()) {
            LOG.log(System.Logger.Level.INFO, "engine recovered (restart " + engine.health().restarts()
                    + "); serving on");
            return;
        }
        engineFailed(id, lostPart ? new EngineUnavailableException(engine.health().detail()) : cause);
    }

    /** One line: the exception's class and message (the stack trace goes with the record, for --verbose). */
    private static String cause(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /** The engine cannot go on: every sequence of this replica fails and it accepts no new one. */
    private void engineFailed(Throwable t) {
        engineFailed(Ids.error(), t);
    }

    private void engineFailed(String id, Throwable t) {
        LOG.log(System.Logger.Level.ERROR, "engine failed (error id " + id + ", replica " + replica + "): "
                + cause(t) + "; it cannot continue, refusing new requests", t);
        // An engine that lost a part of itself (a worker, a host) is unavailable, not wrong: a 503 names the part.
        String lost = t instanceof EngineUnavailableException ? t.getMessage() : null;
        synchronized (submitLock) {
            failedUnavailable = lost;
            failedErrorId = id;
            accepting = false;
        }
        if (lost != null) {
            abortAll(FinishReason.UNAVAILABLE, lost + "; it cannot continue (error id " + id + ")");
        } else {
            abortAll(FinishReason.FAILED, id);
        }
        stopping = true;
        drainDeadlineNs = System.nanoTime();
    }

    private static double seconds(long ns) {
        return ns / 1e9;
    }
}
