package numatp.server;

import java.util.Locale;

/** Why a sequence ended. The first two are OpenAI's {@code finish_reason}; the rest never reach a client as one. */
public enum FinishReason {
    /** EOS/BOS sampled or a stop string appeared. */
    STOP,
    /** {@code max_tokens} reached, or the context is full. */
    LENGTH,
    /** The client went away (or cancelled); the slot was freed early. */
    CANCELLED,
    /** The server shut down before the sequence ended. */
    ABORTED,
    /** The engine failed while running it. */
    FAILED,
    /** The engine lost a part of itself (a worker process died) while running it; it is restarting. */
    UNAVAILABLE;

    /** The label in metrics and the {@code finish_reason} value: lower case. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
