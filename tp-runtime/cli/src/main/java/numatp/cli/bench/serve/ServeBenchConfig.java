package numatp.cli.bench.serve;

import numatp.runtime.config.ConfigException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * What {@code tp bench serve} does: where it sends requests, how many, how many at a
 * time (a closed loop: each of {@code concurrency} workers sends its next request when
 * the previous one ends), and what each request asks for. Validated here; messages
 * name the flag and the value.
 *
 * @param baseUrl        the server's root, {@code http://host:port} (a trailing {@code /v1} is dropped)
 * @param requests       measured requests, {@code >= concurrency}
 * @param concurrency    closed-loop workers
 * @param promptTokens   prompt length the generator aims at, in the server's tokens
 * @param maxTokens      {@code max_tokens} of every request
 * @param endpoint       completions or chat
 * @param stream         {@code stream: true} (needed for time to first token and inter-token latency)
 * @param seed           seeds the prompts (and the requests' {@code seed} field)
 * @param warmup         unmeasured requests sent first (they also calibrate words per token)
 * @param temperature    sampling temperature sent with each request
 * @param requestTimeoutMs   a request still running after this is cut off and counted as a timeout
 * @param model          model id to send; {@code null}: ask {@code GET /v1/models}
 * @param label          a name for this run in reports and comparisons; {@code null}: none
 */
public record ServeBenchConfig(URI baseUrl, int requests, int concurrency, int promptTokens, int maxTokens,
                               Endpoint endpoint, boolean stream, long seed, int warmup, double temperature,
                               long requestTimeoutMs, String model, String label) {
    public ServeBenchConfig {
        if (baseUrl == null) {
            throw new ConfigException("--url is required");
        }
        if (requests < 1) {
            throw new ConfigException("--requests must be >= 1: " + requests);
        }
        if (concurrency < 1 || concurrency > 4096) {
            throw new ConfigException("--concurrency must be in [1, 4096]: " + concurrency);
        }
        if (concurrency > requests) {
            throw new ConfigException("--concurrency " + concurrency + " is more than --requests " + requests
                    + ": a closed loop of " + concurrency + " workers needs at least " + concurrency + " requests");
        }
        if (promptTokens < 1) {
            throw new ConfigException("--prompt-tokens must be >= 1: " + promptTokens);
        }
        if (maxTokens < 1) {
            throw new ConfigException("--max-tokens must be >= 1: " + maxTokens);
        }
        if (warmup < 0) {
            throw new ConfigException("--warmup must be >= 0: " + warmup);
        }
        if (!(temperature >= 0 && temperature <= 2)) {
            throw new ConfigException("--temperature must be in [0, 2]: " + temperature);
        }
        if (requestTimeoutMs < 1) {
            throw new ConfigException("--request-timeout must be > 0 s: " + requestTimeoutMs + " ms");
        }
        if (endpoint == null) {
            throw new ConfigException("--endpoint must be completions or chat");
        }
        if (model != null && model.isBlank()) {
            throw new ConfigException("--model must not be empty");
        }
    }

    /**
     * Parses {@code --url}: {@code http://} or {@code https://}, a host, an optional port, and
     * no path beyond {@code /} or {@code /v1} (the OpenAI clients' {@code base_url}).
     */
    public static URI parseUrl(String text) {
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new ConfigException("--url is not a URL: " + text + " (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ConfigException("--url must start with http:// or https://: " + text);
        }
        if (uri.getHost() == null) {
            throw new ConfigException("--url has no host: " + text);
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.equals("/v1")) {
            path = "";
        }
        if (!path.isEmpty() || uri.getQuery() != null || uri.getFragment() != null) {
            throw new ConfigException("--url must be the server's root like http://127.0.0.1:8080 (the benchmark adds "
                    + "/v1/...): " + text);
        }
        return URI.create(scheme + "://" + uri.getRawAuthority());
    }

    /** The URL of {@code path} (starting with {@code /}) on the server. */
    public URI resolve(String path) {
        return URI.create(baseUrl + path);
    }
}
