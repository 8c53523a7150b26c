package numatp.cli.bench.serve;

import numatp.runtime.config.ConfigException;

import java.util.Locale;

/** Which OpenAI endpoint the benchmark calls; {@link #flagName()} is the {@code --endpoint} value and the JSON value. */
public enum Endpoint {
    /** {@code POST /v1/completions} with {@code prompt}; streamed text in {@code choices[0].text}. */
    COMPLETIONS("completions", "/v1/completions"),
    /** {@code POST /v1/chat/completions} with one user message; streamed text in {@code choices[0].delta.content}. */
    CHAT("chat", "/v1/chat/completions");

    private final String flagName;
    private final String path;

    Endpoint(String flagName, String path) {
        this.flagName = flagName;
        this.path = path;
    }

    public String flagName() {
        return flagName;
    }

    /** The request path under the server's root URL. */
    public String path() {
        return path;
    }

    /** Parses a {@code --endpoint} value: {@code completions} or {@code chat} (case-insensitive). */
    public static Endpoint parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        for (Endpoint e : values()) {
            if (e.flagName.equals(t) || e.path.equals(t)) {
                return e;
            }
        }
        throw new ConfigException("--endpoint must be completions or chat: " + text);
    }
}
