package numatp.server;

/**
 * Receives one sequence's output. Called on the scheduler thread, which must never
 * block: implementations hand the events to the request's own thread.
 */
public interface GenerationSink {
    /** The next piece of text (never empty). */
    void onText(String text);

    /**
     * The sequence ended; nothing follows. {@code errorId} names the log entry of a {@link FinishReason#FAILED};
     * for {@link FinishReason#UNAVAILABLE} it is the message naming what the engine lost, with that id.
     */
    void onFinish(FinishReason reason, int promptTokens, int completionTokens, String errorId);
}
