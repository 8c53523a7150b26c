package numatp.server;

/**
 * A validated {@code /v1/completions} or {@code /v1/chat/completions} request.
 *
 * @param kind         which endpoint (decides the response shapes)
 * @param generation   what to generate
 * @param stream       answer with server-sent events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with {@code usage}
 */
public record ApiRequest(Kind kind, GenerationRequest generation, boolean stream, boolean includeUsage) {
    public enum Kind {
        COMPLETION,
        CHAT
    }
}
