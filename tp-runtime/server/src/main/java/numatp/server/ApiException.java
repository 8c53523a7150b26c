package numatp.server;

/** Unwinds a request handler with the {@link ApiError} to answer. */
public final class ApiException extends ServeException {
    private final ApiError error;

    public ApiException(ApiError error) {
        super(error.status() + " " + error.message());
        this.error = error;
    }

    public ApiError error() {
        return error;
    }
}
