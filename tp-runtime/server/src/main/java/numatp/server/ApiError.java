package numatp.server;

/**
 * An error answered to an HTTP client, in OpenAI's shape:
 * {@code {"error": {"message", "type", "param", "code"}}} with this status.
 *
 * @param status  HTTP status
 * @param message what was wrong, for a person
 * @param type    OpenAI's error class: {@code invalid_request_error}, {@code rate_limit_error}, {@code server_error}
 * @param param   the request field at fault, or null
 * @param code    a stable machine-readable code, or null
 */
public record ApiError(int status, String message, String type, String param, String code) {
    public static ApiError invalid(String param, String message) {
        return new ApiError(400, message, "invalid_request_error", param, null);
    }

    public static ApiError invalid(String param, String code, String message) {
        return new ApiError(400, message, "invalid_request_error", param, code);
    }

    public static ApiError notFound(String code, String message) {
        return new ApiError(404, message, "invalid_request_error", null, code);
    }

    public static ApiError queueFull(int maxQueue) {
        return new ApiError(429, "the server is busy: " + maxQueue + " requests are already waiting; retry later",
                "rate_limit_error", null, "queue_full");
    }

    public static ApiError shuttingDown() {
        return new ApiError(503, "the server is shutting down", "server_error", null, "shutting_down");
    }

    /**
     * The engine lost a part of itself (a worker process, an MPI rank) while generating: {@code detail}
     * names it and how it ended, and whether the engine restarts.
     */
    public static ApiError engineUnavailable(String detail) {
        return new ApiError(503, "the engine lost a part of itself while generating: " + detail, "server_error", null,
                "engine_unavailable");
    }

    /** A new request to an engine that lost a part of itself for good: {@code detail} names it; the server stops. */
    public static ApiError engineFailed(String detail) {
        return new ApiError(503, "the engine cannot continue, the server is stopping: " + detail, "server_error", null,
                "engine_unavailable");
    }

    public static ApiError internal(String errorId) {
        return new ApiError(500, "internal server error (error id " + errorId + "; the server log has the details)",
                "server_error", null, "internal_error");
    }

    /** This error as an exception, to unwind a request handler. */
    public ApiException exception() {
        return new ApiException(this);
    }
}
