package numatp.server;

import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tp.SequenceEngine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A running {@code tp serve}: the scheduler that owns the engine and the HTTP API in
 * front of it. It owns the engine from {@link #start} on and closes it when it stops.
 *
 * <p>Shutdown: the listening socket closes and new requests are refused at once;
 * running and waiting requests may finish until the grace period ends, then they are
 * aborted (a 503, or an error event on a stream); once their answers are written every
 * connection is closed (idle and half-sent ones never hold the exit up) and the engine
 * is closed.
 */
public final class InferenceServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(InferenceServer.class.getName());

    /** After the last sequence ended, how long its handler may take to write the end of its answer. */
    private static final long HANDLER_FINISH_NS = 2_000_000_000L;

    private final ServeConfig config;
    private final SequenceEngine engine;
    private final Scheduler scheduler;
    private final ServeMetrics metrics;
    private final ApiServer api;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object shutdownLock = new Object();
    private boolean shuttingDown; // guarded by shutdownLock

    private InferenceServer(ServeConfig config, SequenceEngine engine, Scheduler scheduler, ServeMetrics metrics,
                            ApiServer api) {
        this.config = config;
        this.engine = engine;
        this.scheduler = scheduler;
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
        ServeMetrics metrics = new ServeMetrics(weights);
        Scheduler scheduler = new Scheduler(engine, tokenizer, config.maxQueue(), metrics);
        RequestParser parser = new RequestParser(tokenizer, engine.config().vocabSize(), engine.slotPositions(),
                config.modelId(), chatTemplate);
        ApiServer api;
        try {
            api = ApiServer.start(config, scheduler, parser, metrics, engine.slotPositions());
        } catch (IOException e) {
            engine.close();
            throw new UncheckedIOException("cannot start the HTTP server on " + config.host() + ":" + config.port(), e);
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        scheduler.start();
        return new InferenceServer(config, engine, scheduler, metrics, api);
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

    public Scheduler scheduler() {
        return scheduler;
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
        scheduler.shutdown(deadline);
        api.beginStop(); // the listener closes now
        boolean schedulerEnded = false;
        try {
            schedulerEnded = scheduler.awaitTermination(grace.toMillis() + 10_000, TimeUnit.MILLISECONDS);
            if (!schedulerEnded) {
                LOG.log(System.Logger.Level.WARNING, "the scheduler did not stop in time; aborting what is left");
                scheduler.shutdownNow();
                schedulerEnded = scheduler.awaitTermination(10, TimeUnit.SECONDS);
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
            if (schedulerEnded) {
                engine.close();
            } else {
                // A step that never returns still uses the engine: leave it to the process exit.
                LOG.log(System.Logger.Level.WARNING, "an engine step is stuck; the engine is left open");
            }
            stopped.countDown();
        }
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
