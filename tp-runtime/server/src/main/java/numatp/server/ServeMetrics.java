package numatp.server;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import numatp.models.tp.SequenceEngine;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToIntFunction;

/**
 * The server's Prometheus metrics, in a registry of its own (several servers can live in
 * one JVM, as in tests). Names and labels are documented in docs/serving-api.md; every
 * series is written by the official client's exposition writers, never by hand.
 *
 * <p>With several replicas (one scheduler and engine each) the metrics without a label keep
 * their meaning for the whole server: gauges and counters are sums over the replicas. The
 * {@code numatp_replica_*} series say the same per replica, under a {@code replica} label
 * (its index, from 0); a one-replica server has them too, with {@code replica="0"}.
 */
public final class ServeMetrics {
    /** Weight bytes held on one NUMA node. */
    public record NodeWeights(int node, long replicatedBytes, long shardedBytes) {
    }

    private static final double[] SECONDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
            10, 30, 60, 120};
    private static final double[] COUNTS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ExpositionFormats formats = ExpositionFormats.init();
    private final Counter httpRequests;
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final Counter finished;
    private final Histogram batchSequences;
    private final Histogram batchEntries;
    private final Histogram timeToFirstToken;
    private final Histogram timePerOutputToken;
    private final Histogram requestLatency;

    private final Histogram queueWait;
    private final Counter replicaRequests;
    private final Counter replicaPromptTokens;
    private final Counter replicaCompletionTokens;
    private final Counter replicaErrors;
    private final List<Scheduler> schedulers = new CopyOnWriteArrayList<>(); // by replica index

    /** @param weights weight bytes per node, for {@code numatp_weight_bytes} */
    public ServeMetrics(List<NodeWeights> weights) {
        httpRequests = Counter.builder().name("numatp_http_requests")
                .help("HTTP requests answered, by endpoint (a known path or \"other\") and status code")
                .labelNames("endpoint", "status").register(registry);
        promptTokens = Counter.builder().name("numatp_prompt_tokens")
                .help("Prompt tokens of admitted requests").register(registry);
        completionTokens = Counter.builder().name("numatp_completion_tokens")
                .help("Tokens generated").register(registry);
        finished = Counter.builder().name("numatp_sequences_finished")
                .help("Sequences that left their slot, by reason: stop, length, cancelled (client gone), aborted"
                        + " (shutdown), failed (engine error)")
                .labelNames("reason").register(registry);
        batchSequences = Histogram.builder().name("numatp_batch_sequences")
                .help("Sequences advanced by one engine step").classicOnly().classicUpperBounds(COUNTS)
                .register(registry);
        batchEntries = Histogram.builder().name("numatp_batch_entries")
                .help("Entries (prompt tokens and decode tokens) fed by one engine step").classicOnly()
                .classicUpperBounds(COUNTS).register(registry);
        timeToFirstToken = Histogram.builder().name("numatp_time_to_first_token_seconds")
                .help("From request arrival to its first generated token").classicOnly()
                .classicUpperBounds(SECONDS).register(registry);
        timePerOutputToken = Histogram.builder().name("numatp_time_per_output_token_seconds")
                .help("Between consecutive generated tokens of one sequence").classicOnly()
                .classicUpperBounds(SECONDS).register(registry);
        requestLatency = Histogram.builder().name("numatp_request_latency_seconds")
                .help("From request arrival to its last token, sequences that ended with stop or length")
                .classicOnly().classicUpperBounds(SECONDS).register(registry);
        queueWait = Histogram.builder().name("numatp_queue_wait_seconds")
                .help("From request arrival to its admission into a KV-cache slot").classicOnly()
                .classicUpperBounds(SECONDS).register(registry);
        GaugeWithCallback.builder().name("numatp_weight_bytes")
                .help("Weight bytes held on each NUMA node: replicated (a copy per node) or sharded (this node's"
                        + " slices)")
                .labelNames("node", "kind")
                .callback(cb -> {
                    for (NodeWeights w : weights) {
                        cb.call(w.replicatedBytes(), String.valueOf(w.node()), "replicated");
                        cb.call(w.shardedBytes(), String.valueOf(w.node()), "sharded");
                    }
                }).register(registry);
        replicaRequests = Counter.builder().name("numatp_replica_requests")
                .help("Requests the router gave the replica (a request retried elsewhere counts on both)")
                .labelNames("replica").register(registry);
        replicaPromptTokens = Counter.builder().name("numatp_replica_prompt_tokens")
                .help("Prompt tokens of requests admitted by the replica").labelNames("replica").register(registry);
        replicaCompletionTokens = Counter.builder().name("numatp_replica_completion_tokens")
                .help("Tokens the replica generated").labelNames("replica").register(registry);
        replicaErrors = Counter.builder().name("numatp_replica_errors")
                .help("Sequences of the replica that failed (an engine error)").labelNames("replica")
                .register(registry);
        registerSchedulerGauges();
    }

    /** Registers the gauges read from the schedulers, sums over the replicas and one series per replica. */
    private void registerSchedulerGauges() {
        GaugeWithCallback.builder().name("numatp_queue_depth")
                .help("Requests waiting for a KV-cache slot")
                .callback(cb -> cb.call(sum(Scheduler::queueDepth))).register(registry);
        GaugeWithCallback.builder().name("numatp_running_sequences")
                .help("Sequences holding a KV-cache slot (prefilling or decoding)")
                .callback(cb -> cb.call(sum(Scheduler::running))).register(registry);
        GaugeWithCallback.builder().name("numatp_kv_slots")
                .help("KV-cache slots: the most sequences in flight (--max-batch per replica)")
                .callback(cb -> cb.call(sum(Scheduler::slots))).register(registry);
        CounterWithCallback.builder().name("numatp_engine_steps")
                .help("Engine steps run").callback(cb -> cb.call(totalCounters().steps())).register(registry);
        CounterWithCallback.builder().name("numatp_engine_step_seconds")
                .help("Time inside engine steps")
                .callback(cb -> cb.call(totalCounters().stepNs() / 1e9)).register(registry);
        CounterWithCallback.builder().name("numatp_engine_collective_seconds")
                .help("Time of engine steps spent in collectives (allreduce, allgather) on shard 0")
                .callback(cb -> cb.call(totalCounters().collectiveNs() / 1e9)).register(registry);
        GaugeWithCallback.builder().name("numatp_allreduce_share")
                .help("Share of engine step time spent in collectives since start (0..1); for a window use"
                        + " rate(numatp_engine_collective_seconds_total) / rate(numatp_engine_step_seconds_total)")
                .callback(cb -> cb.call(totalCounters().collectiveShare())).register(registry);
        GaugeWithCallback.builder().name("numatp_replica_up")
                .help("1 while the replica serves; 0 while it restarts a lost worker, once its engine failed, or while"
                        + " it stops")
                .labelNames("replica")
                .callback(cb -> {
                    for (Scheduler s : schedulers) {
                        cb.call(s.serving() ? 1 : 0, String.valueOf(s.replica()));
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("numatp_replica_queue_depth")
                .help("Requests waiting for a KV-cache slot of the replica")
                .labelNames("replica")
                .callback(cb -> {
                    for (Scheduler s : schedulers) {
                        cb.call(s.queueDepth(), String.valueOf(s.replica()));
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("numatp_replica_running_sequences")
                .help("Sequences holding a KV-cache slot of the replica")
                .labelNames("replica")
                .callback(cb -> {
                    for (Scheduler s : schedulers) {
                        cb.call(s.running(), String.valueOf(s.replica()));
                    }
                }).register(registry);
        CounterWithCallback.builder().name("numatp_replica_engine_steps")
                .help("Engine steps the replica ran")
                .labelNames("replica")
                .callback(cb -> {
                    for (Scheduler s : schedulers) {
                        cb.call(s.counters().steps(), String.valueOf(s.replica()));
                    }
                }).register(registry);
    }

    /** Adds {@code scheduler} to the gauges (once, at its construction); its replica index must be the next one. */
    void watch(Scheduler scheduler) {
        synchronized (schedulers) {
            if (scheduler.replica() != schedulers.size()) {
                throw new IllegalStateException("replica " + scheduler.replica() + " registered after "
                        + schedulers.size() + " replica(s)");
            }
            schedulers.add(scheduler);
        }
    }

    private double sum(ToIntFunction<Scheduler> value) {
        long total = 0;
        for (Scheduler s : schedulers) {
            total += value.applyAsInt(s);
        }
        return total;
    }

    private SequenceEngine.Counters totalCounters() {
        long steps = 0;
        long entries = 0;
        long stepNs = 0;
        long collectiveNs = 0;
        for (Scheduler s : schedulers) {
            SequenceEngine.Counters c = s.counters();
            steps += c.steps();
            entries += c.entries();
            stepNs += c.stepNs();
            collectiveNs += c.collectiveNs();
        }
        return new SequenceEngine.Counters(steps, entries, stepNs, collectiveNs);
    }

    /** The series of replica {@code index}, which its scheduler writes (the labelled points looked up once). */
    Replica replica(int index) {
        return new Replica(index);
    }

    /**
     * What one replica's scheduler reports: each event goes to the server-wide series and to
     * the replica's own. The labelled data points are resolved here, so a token costs no lookup.
     */
    final class Replica {
        private final CounterDataPoint requests;
        private final CounterDataPoint prompt;
        private final CounterDataPoint completion;
        private final CounterDataPoint errors;

        private Replica(int index) {
            String label = String.valueOf(index);
            this.requests = replicaRequests.labelValues(label);
            this.prompt = replicaPromptTokens.labelValues(label);
            this.completion = replicaCompletionTokens.labelValues(label);
            this.errors = replicaErrors.labelValues(label);
        }

        void submitted() {
            requests.inc();
        }

        void admitted(int promptTokenCount, double waitedSeconds) {
            prompt.inc(promptTokenCount);
            ServeMetrics.this.admitted(promptTokenCount, waitedSeconds);
        }

        void step(int sequences, int entries) {
            ServeMetrics.this.step(sequences, entries);
        }

        void firstToken(double secondsSinceArrival) {
            completion.inc();
            ServeMetrics.this.firstToken(secondsSinceArrival);
        }

        void nextToken(double secondsSincePrevious) {
            completion.inc();
            ServeMetrics.this.nextToken(secondsSincePrevious);
        }

        void finished(FinishReason reason, double secondsSinceArrival) {
            if (reason == FinishReason.FAILED) {
                errors.inc();
            }
            ServeMetrics.this.finished(reason, secondsSinceArrival);
        }
    }

    void httpRequest(String endpoint, int status) {
        httpRequests.labelValues(endpoint, String.valueOf(status)).inc();
    }

    void admitted(int promptTokenCount, double waitedSeconds) {
        promptTokens.inc(promptTokenCount);
        queueWait.observe(waitedSeconds);
    }

    void step(int sequences, int entries) {
        batchSequences.observe(sequences);
        batchEntries.observe(entries);
    }

    void firstToken(double secondsSinceArrival) {
        completionTokens.inc();
        timeToFirstToken.observe(secondsSinceArrival);
    }

    void nextToken(double secondsSincePrevious) {
        completionTokens.inc();
        timePerOutputToken.observe(secondsSincePrevious);
    }

    void finished(FinishReason reason, double secondsSinceArrival) {
        finished.labelValues(reason.label()).inc();
        if (reason == FinishReason.STOP || reason == FinishReason.LENGTH) {
            requestLatency.observe(secondsSinceArrival);
        }
    }

    /** Sequences that ended for {@code reason} so far (tests and the shutdown summary read it). */
    public long finishedCount(FinishReason reason) {
        return (long) finished.labelValues(reason.label()).get();
    }

    /** The content type of the exposition chosen for an {@code Accept} header (null: Prometheus text). */
    public String contentType(String accept) {
        return writer(accept).getContentType();
    }

    /** Writes every metric in the format the {@code Accept} header asks for. */
    public void write(String accept, OutputStream out) throws IOException {
        writer(accept).write(out, registry.scrape(), EscapingScheme.fromAcceptHeader(accept));
    }

    private ExpositionFormatWriter writer(String accept) {
        ExpositionFormatWriter w = formats.findWriter(accept);
        return w.isAvailable() ? w : formats.getPrometheusTextFormatWriter();
    }
}
