package numatp.cli.bench.serve;

import java.io.BufferedReader;
import java.io.IOException;

/**
 * Reads server-sent events (the WHATWG event-stream format) from a response body:
 * {@code data:} lines are joined with newlines into one event, which a blank line (or
 * the end of the body) completes; comments ({@code :...}) and {@code event:},
 * {@code id:}, {@code retry:} fields are skipped. Each event is stamped with
 * {@link System#nanoTime()} when its first data line arrived.
 */
final class SseReader {
    private final BufferedReader in;
    private final StringBuilder data = new StringBuilder();
    private long eventNs = -1;
    private boolean hasData;

    SseReader(BufferedReader in) {
        this.in = in;
    }

    /** The next event's data, blocking until it is complete; {@code null} at the end of the body. */
    String next() throws IOException {
        data.setLength(0);
        hasData = false;
        while (true) {
            String line = in.readLine();
            if (line == null) {
                return hasData ? data.toString() : null;
            }
            if (line.isEmpty()) {
                if (hasData) {
                    return data.toString();
                }
                continue;
            }
            if (!line.startsWith("data:")) {
                continue; // a comment or another field
            }
            if (!hasData) {
                eventNs = System.nanoTime();
                hasData = true;
            } else {
                data.append('\n');
            }
            int from = line.length() > 5 && line.charAt(5) == ' ' ? 6 : 5;
            data.append(line, from, line.length());
        }
    }

    /** When the data of the event {@link #next()} returned began to arrive. */
    long eventNs() {
        return eventNs;
    }
}
