package numatp.server;

import java.util.List;

/**
 * Sends each new request to one of the server's replicas (a {@link Scheduler} over an engine of
 * its own): the one that serves ({@link Scheduler#serving()}: accepting, its engine neither
 * failed nor restarting) with the least outstanding work ({@link Scheduler#outstanding()}:
 * waiting plus running), ties to the lowest index. A replica whose engine failed, or restarts
 * a lost worker, gets no new requests meanwhile; the others serve on.
 *
 * <p>A request that a replica's loss ended before it produced a token (it was waiting, or in
 * the step that broke the engine) is submitted again to another serving replica, so the
 * client sees nothing of it; one that already produced tokens fails as with one replica. A
 * replica that refuses a request (queue full, failed, stopping) passes it to the next best.
 *
 * <p>Choosing and submitting happen under one lock, so the requests of a burst see each other's
 * load; submitting only queues the request, so the lock is held for microseconds.
 */
public final class ReplicaRouter {
    private final List<Scheduler> replicas;
    private final Object routeLock = new Object();

    /** @param replicas the schedulers, replica {@code i} at index {@code i} */
    public ReplicaRouter(List<Scheduler> replicas) {
        if (replicas.isEmpty()) {
            throw new ServeException("a server needs at least one replica");
        }
        for (int i = 0; i < replicas.size(); i++) {
            if (replicas.get(i).replica() != i) {
                throw new ServeException("replica " + replicas.get(i).replica() + " at index " + i);
            }
        }
        this.replicas = List.copyOf(replicas);
    }

    public List<Scheduler> replicas() {
        return replicas;
    }

    /** Whether at least one replica serves. */
    public boolean serving() {
        for (Scheduler s : replicas) {
            if (s.serving()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The replica to get the next request: among those with {@code serving[i]}, the one with
     * the least {@code outstanding[i]}, ties to the lowest index; -1 when none serves.
     */
    static int pick(int[] outstanding, boolean[] serving) {
        int best = -1;
        for (int i = 0; i < outstanding.length; i++) {
            if (serving[i] && (best < 0 || outstanding[i] < outstanding[best])) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Queues {@code request} on the best replica; its output goes to {@code sink}.
     *
     * @throws ApiException when no replica takes it: 429 when one had a full queue, otherwise what
     *                      the replicas said (503 shutting down, 500 with the failed engine's error id)
     */
    public Generation submit(GenerationRequest request, GenerationSink sink) {
        Routed routed = new Routed(request, sink);
        ApiException refused = routed.submitElsewhere();
        if (refused != null) {
            throw refused;
        }
        return routed;
    }

    /**
     * One request as the router tracks it: which replicas it tried and which sequence runs it
     * now. It is the sink of that sequence, so it sees a failure before the client does.
     */
    private final class Routed implements Generation, GenerationSink {
        private final GenerationRequest request;
        private final GenerationSink sink;
        private final boolean[] tried; // [replicas]; guarded by routeLock
        private volatile Generation current;
        private volatile int currentReplica = -1;
        private volatile boolean cancelled;

        Routed(GenerationRequest request, GenerationSink sink) {
            this.request = request;
            this.sink = sink;
            this.tried = new boolean[replicas.size()];
        }

        /**
         * Submits to the best replica not tried yet; returns null when one took it, else the
         * refusal to report (a full queue first: the client may retry it).
         */
        ApiException submitElsewhere() {
            synchronized (routeLock) {
                int n = replicas.size();
                int[] outstanding = new int[n];
                boolean[] candidate = new boolean[n];
                ApiException first = null;
                ApiException queueFull = null;
                while (true) {
                    for (int i = 0; i < n; i++) {
                        Scheduler s = replicas.get(i);
                        candidate[i] = !tried[i] && s.serving();
                        outstanding[i] = s.outstanding();
                    }
                    int r = pick(outstanding, candidate);
                    if (r < 0) {
                        r = firstUntried(); // none serves: a refusal says why (failed, stopping); a restarting
                        // replica takes it into its queue, to run once it is back
                    }
                    if (r < 0) {
                        return queueFull != null ? queueFull : first != null ? first : noReplicaLeft();
                    }
                    tried[r] = true;
                    currentReplica = r; // before the sequence exists: its scheduler may end it at once
                    try {
                        current = replicas.get(r).submit(request, this);
                        if (cancelled) {
                            current.cancel(); // cancel() ran while this was being placed
                        }
                        return null;
                    } catch (ApiException e) {
                        if (first == null) {
                            first = e;
                        }
                        if (e.error().status() == 429 && queueFull == null) {
                            queueFull = e;
                        }
                    }
                }
            }
        }

        /** Every replica was tried before this call (a retry after the last one failed). */
        private ApiException noReplicaLeft() {
            return new ApiError(503, "every replica failed or was tried", "server_error", null, "no_replica")
                    .exception();
        }

        private int firstUntried() {
            for (int i = 0; i < tried.length; i++) {
                if (!tried[i]) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public void cancel() {
            cancelled = true;
            Generation g = current;
            if (g != null) {
                g.cancel();
            }
        }

        @Override
        public void onText(String text) {
            sink.onText(text);
        }

        @Override
        public void onFinish(FinishReason reason, int promptTokens, int completionTokens, String errorId) {
            // Runs on the lost replica's scheduler thread; submitting elsewhere only queues.
            if ((reason == FinishReason.FAILED || reason == FinishReason.UNAVAILABLE) && completionTokens == 0
                    && !cancelled && !replicas.get(currentReplica).serving() && submitElsewhere() == null) {
                return; // another replica runs it now
            }
            sink.onFinish(reason, promptTokens, completionTokens, errorId);
        }
    }

}
