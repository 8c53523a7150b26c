package numatp.server;

import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tp.SequenceEngine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A running {@code tp serve}: one scheduler per replica, each owning its engine, the
 * {@link ReplicaRouter} across them, and the HTTP API in front. It owns the engines from
 * {@link #start} on and closes them when it stops.
 *
 * <p>Shutdown: the listening socket closes and new requests are refused at once;
 * running and waiting requests may finish until the grace period ends, then they are
 * aborted (a 503, or an error event on a stream); once their answers are written every
 * connection is closed (idle and half-sent ones never hold the exit up) and the engines
 * are closed.
 */
public final class InferenceServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(InferenceServer.class.getName());

    /** After the last sequence ended, how long its handler may take to write the end of its answer. */
    private static final long HANDLER_FINISH_NS = 2_000_000_000L;

    private final ServeConfig config;
    private final List<SequenceEngine> engines;
    private final List<Scheduler> schedulers;
    private final ReplicaRouter router;
    private final ServeMetrics metrics;
    private final ApiServer api;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object shutdownLock = new Object();
    private boolean shuttingDown; // guarded by shutdownLock

    private InferenceServer(ServeConfig config, List<SequenceEngine> engines, ReplicaRouter router,
                            ServeMetrics metrics, ApiServer api) {
        this.config = config;
        this.engines = engines;
        this.router = router;
        this.schedulers = router.replicas();
        this.metrics = metrics;
        this.api = api;
    }

    /** Starts serving with the {@link ChatTemplate#PLAIN} chat transcript. */
    public static InferenceServer start(SequenceEngine engine, TextTokenizer tokenizer, ServeConfig config,
                                        List<ServeMetrics.NodeWeights> weights) {
        return start(engine, tokenizer, ChatTemplate.PLAIN, config, weights);
    }

    /**
     * Starts serving {@code engine} (which this server now owns) with {@code tokenizer}.
     *
     * @param chatTemplate how {@code /v1/chat/completions} messages become the prompt
     * @param weights      weight bytes per node, for the metrics
     */
    public static InferenceServer start(SequenceEngine engine, TextTokenizer tokenizer, ChatTemplate chatTemplate,
                                        ServeConfig config, List<ServeMetrics.NodeWeights> weights) {
        return start(List.of(engine), tokenizer, chatTemplate, config, weights);
    }

    /**
     * Starts serving {@code engines}, one replica each (which this server now owns), behind one
     * endpoint. The replicas must run the same model with the same capacity: one parser and one
     * tokenizer serve them all. Each replica queues up to {@code --max-queue} requests.
     *
     * @param weights weight bytes per node, all replicas together, for the metrics
     */
    public static InferenceServer start(List<SequenceEngine> engines, TextTokenizer tokenizer,
                                        ChatTemplate chatTemplate, ServeConfig config,
                                        List<ServeMetrics.NodeWeights> weights) {
        List<SequenceEngine> owned = List.copyOf(engines);
        ApiServer api;
        ServeMetrics metrics;
        ReplicaRouter router;
        try {
            SequenceEngine first = owned.getFirst();
            for (SequenceEngine e : owned) {
                if (!e.config().equals(first.config()) || e.slots() != first.slots()
                        || e.slotPositions() != first.slotPositions()) {
                    throw new ServeException("replicas must run the same model with the same slots and context: "
                            + e.config() + ", " + e.slots() + " x " + e.slotPositions() + " vs " + first.config() + ", "
                            + first.slots() + " x " + first.slotPositions());
                }
            }
            metrics = new ServeMetrics(weights);
            List<Scheduler> schedulers = new ArrayList<>();
            for (int r = 0; r < owned.size(); r++) {
                schedulers.add(new Scheduler(owned.get(r), tokenizer, config.maxQueue(), metrics, r));
            }
            router = new ReplicaRouter(schedulers);
            RequestParser parser = new RequestParser(tokenizer, first.config().vocabSize(), first.slotPositions(),
                    config.modelId(), chatTemplate);
            api = ApiServer.start(config, router, parser, metrics, first.slotPositions());
        } catch (IOException e) {
            closeAll(owned);
            throw new UncheckedIOException("cannot start the HTTP server on " + config.host() + ":" + config.port(), e);
        } catch (RuntimeException e) {
            closeAll(owned);
            throw e;
        }
        for (Scheduler s : router.replicas()) {
            if (owned.size() > 1) {
                s.handOffWaitingWhenLost(); // the router runs them on another replica meanwhile
            }
            s.start();
        }
        return new InferenceServer(config, owned, router, metrics, api);
    }

    private static void closeAll(List<SequenceEngine> engines) {
        for (SequenceEngine e : engines) {
            e.close();
        }
    }

    public URI url() {
        return api.url();
    }

    public int port() {
        return api.port();
    }

    public ServeMetrics metrics() {
        return metrics;
    }

    /** The scheduler of replica 0 (the only one of a one-replica server). */
    public Scheduler scheduler() {
        return schedulers.getFirst();
    }

    /** Every replica's scheduler, by index. */
    public List<Scheduler> schedulers() {
        return schedulers;
    }

    public ReplicaRouter router() {
        return router;
    }

    /** True once every replica's engine failed for good: the server cannot serve again. */
    public boolean everyEngineFailed() {
        for (Scheduler s : schedulers) {
            if (!s.engineFailed()) {
                return false;
            }
        }
        return true;
    }

    /** Aborts every replica's running and waiting requests at the next step boundary (a second signal). */
    public void abortNow() {
        for (Scheduler s : schedulers) {
            s.shutdownNow();
        }
    }

    ApiServer api() {
        return api;
    }

    /** Shuts down with the configured grace period ({@code --shutdown-timeout}). */
    public void shutdown() {
        shutdown(config.shutdownGrace());
    }

    /**
     * Stops accepting, lets in-flight requests run for up to {@code grace}, aborts the rest,
     * closes the engine; returns when all that is done. Later calls wait for the first.
     */
    public void shutdown(Duration grace) {
        synchronized (shutdownLock) {
            if (shuttingDown) {
                awaitQuietly();
                return;
            }
            shuttingDown = true;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        for (Scheduler s : schedulers) {
            s.shutdown(deadline);
        }
        api.beginStop(); // the listener closes now
        boolean[] ended = new boolean[schedulers.size()];
        try {
            for (Scheduler s : schedulers) {
                long leftMs = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
                ended[s.replica()] = s.awaitTermination(leftMs + 10_000, TimeUnit.MILLISECONDS);
            }
            for (Scheduler s : schedulers) {
                if (!ended[s.replica()]) {
                    LOG.log(System.Logger.Level.WARNING, "the scheduler" + replicaName(s)
                            + " did not stop in time; aborting what is left");
                    s.shutdownNow();
                    ended[s.replica()] = s.awaitTermination(10, TimeUnit.SECONDS);
                }
            }
            // Every sequence has ended: the handlers only write their last bytes. One stuck on a
            // client that does not read gets until the grace deadline, or a moment if that passed.
            long handlersDeadline = Math.max(deadline, System.nanoTime() + HANDLER_FINISH_NS);
            if (!api.awaitIdle(handlersDeadline)) {
                LOG.log(System.Logger.Level.WARNING, api.handlers() + " HTTP handler(s) still writing at the"
                        + " deadline; closing their connections");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            api.finishStop(); // closes every connection: idle, half-sent, or stuck
            for (Scheduler s : schedulers) {
                if (ended[s.replica()]) {
                    engines.get(s.replica()).close();
                } else {
                    // A step that never returns still uses the engine: leave it to the process exit.
                    LOG.log(System.Logger.Level.WARNING, "an engine step" + replicaName(s)
                            + " is stuck; the engine is left open");
                }
            }
            stopped.countDown();
        }
    }

    private String replicaName(Scheduler s) {
        return schedulers.size() == 1 ? "" : " of replica " + s.replica();
    }

    /** Waits until a shutdown has finished. */
    public void awaitTermination() throws InterruptedException {
        stopped.await();
    }

    private void awaitQuietly() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Shuts down without grace. */
    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
