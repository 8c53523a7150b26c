package numatp.server;

import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Hands one sequence's output from the scheduler thread to its request's thread: the
 * scheduler never blocks on a slow client, the request thread blocks until there is
 * something to send.
 */
final class PendingGeneration implements GenerationSink {
    sealed interface Event permits Text, End {
    }

    record Text(String text) implements Event {
    }

    record End(FinishReason reason, int promptTokens, int completionTokens, String errorId) implements Event {
    }

    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();

    @Override
    public void onText(String text) {
        events.add(new Text(text));
    }

    @Override
    public void onFinish(FinishReason reason, int promptTokens, int completionTokens, String errorId) {
        events.add(new End(reason, promptTokens, completionTokens, errorId));
    }

    /** Waits for the next event, then takes it and every event already behind it (at least one). */
    void takeAll(List<Event> into) throws InterruptedException {
        into.add(events.take());
        events.drainTo(into);
    }
}
