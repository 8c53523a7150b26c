package numatp.cli.bench.serve;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The load generator of {@code tp bench serve}: a closed loop of
 * {@code concurrency} workers, each sending its next request as soon as its previous
 * one ends, until {@code requests} have been sent. Warm-up requests go first, are not
 * measured, and tell how many words make the asked number of prompt tokens.
 */
public final class ServeBench {
    /** How often a long run reports progress. */
    private static final long PROGRESS_INTERVAL_MS = 10_000;

    private ServeBench() {
    }

    /**
     * Runs the benchmark described by {@code config}; progress lines (every 10 s) go to
     * {@code progress} when it is not null.
     *
     * @throws ServeBenchException when the server cannot be reached or every warm-up request fails
     */
    public static ServeBenchRun run(ServeBenchConfig config, PrintWriter progress) throws InterruptedException {
        try (OpenAiClient client = new OpenAiClient(config)) {
            String model = config.model() != null ? config.model() : client.modelId();
            PromptGenerator prompts = new PromptGenerator(config.seed());
            int words = config.promptTokens();
            if (config.warmup() > 0) {
                RequestResult[] warm = loop(client, model, prompts, words, -config.warmup(), config.warmup(),
                        Math.min(config.warmup(), config.concurrency()), config, null);
                RequestResult calibration = Arrays.stream(warm).filter(RequestResult::ok).findFirst()
                        .orElseThrow(() -> new ServeBenchException("every warm-up request failed, nothing measured: "
                                + errorSummary(Arrays.asList(warm))));
                words = PromptGenerator.wordsFor(config.promptTokens(), words, calibration.promptTokens());
            }
            ReplicaSpread before = replicaSpread(client);
            Instant startedAt = Instant.now();
            long startNs = System.nanoTime();
            RequestResult[] results = loop(client, model, prompts, words, 0, config.requests(), config.concurrency(),
                    config, progress);
            long durationNs = System.nanoTime() - startNs;
            ReplicaSpread spread = before.known() ? replicaSpread(client).since(before) : ReplicaSpread.UNKNOWN;
            return new ServeBenchRun(config, model, words, client.asksForUsage(), startedAt, durationNs,
                    List.of(results), spread);
        }
    }

    private static ReplicaSpread replicaSpread(OpenAiClient client) throws InterruptedException {
        return ReplicaSpread.parse(client.getOrNull("/health"), client.getOrNull("/metrics"));
    }

    /** Sends requests {@code first .. first + count - 1} with {@code workers} concurrent workers. */
    private static RequestResult[] loop(OpenAiClient client, String model, PromptGenerator prompts, int words,
                                        int first, int count, int workers, ServeBenchConfig config,
                                        PrintWriter progress) throws InterruptedException {
        RequestResult[] results = new RequestResult[count];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(workers);
        List<Thread> threads = new ArrayList<>(workers);
        InterruptedException[] interrupted = new InterruptedException[1];
        for (int w = 0; w < workers; w++) {
            Thread t = new Thread(() -> {
                try {
                    int i;
                    while ((i = next.getAndIncrement()) < count) {
                        long index = first + i;
                        long sentNs = System.nanoTime();
                        try {
                            results[i] = client.complete(model, prompts.prompt(index, words), config.maxTokens(),
                                    config.seed() + index);
                        } catch (RuntimeException e) {
                            // counted and shown, not a reason to lose the rest of the run
                            results[i] = RequestResult.failed("client error", e.toString(), sentNs, System.nanoTime());
                        }
                        done.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    interrupted[0] = e;
                } finally {
                    finished.countDown();
                }
            }, "bench-serve-worker-" + w);
            t.setDaemon(true);
            threads.add(t);
        }
        long startNs = System.nanoTime();
        threads.forEach(Thread::start);
        try {
            while (!finished.await(PROGRESS_INTERVAL_MS, TimeUnit.MILLISECONDS)) {
                if (progress != null) {
                    progress.printf("... %d/%d requests done after %.0f s%n", done.get(), count,
                            (System.nanoTime() - startNs) / 1e9);
                    progress.flush();
                }
            }
        } catch (InterruptedException e) {
            threads.forEach(Thread::interrupt);
            throw e;
        }
        if (interrupted[0] != null) {
            throw interrupted[0];
        }
        return results;
    }

    /** {@code HTTP 429 x3, timeout x1 (first: ...)}: failures by class, most frequent first, with one message. */
    public static String errorSummary(List<RequestResult> results) {
        Map<String, Integer> counts = errorCounts(results);
        StringBuilder text = new StringBuilder();
        counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).forEach(e -> {
            if (!text.isEmpty()) {
                text.append(", ");
            }
            text.append(e.getKey()).append(" x").append(e.getValue());
        });
        results.stream().filter(r -> !r.ok()).findFirst()
                .ifPresent(r -> text.append(" (first: ").append(r.errorDetail()).append(')'));
        return text.toString();
    }

    /** Failed requests per error class, in order of first appearance. */
    public static Map<String, Integer> errorCounts(List<RequestResult> results) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (RequestResult r : results) {
            if (!r.ok()) {
                counts.merge(r.error(), 1, Integer::sum);
            }
        }
        return counts;
    }
}
