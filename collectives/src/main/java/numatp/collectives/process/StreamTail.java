package numatp.collectives.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Drains one stream of a worker on its own thread (a full pipe would stall the worker) and
 * keeps either every line or only the last {@code maxLines}, each cut to {@link #MAX_LINE_CHARS}.
 */
final class StreamTail {
    static final int MAX_LINE_CHARS = 500;
    private static final String INCUBATOR_WARNING = "WARNING: Using incubator modules";

    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private final int maxLines;
    private final Thread reader;

    /** {@code maxLines} 0 keeps every line; {@code listener} (may be null) sees each line as it arrives. */
    StreamTail(InputStream in, String threadName, int maxLines, Consumer<String> listener) {
        this.maxLines = maxLines;
        this.reader = Thread.ofPlatform().daemon().name(threadName).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (line.startsWith(INCUBATOR_WARNING)) {
                        continue; // printed by every JVM with the Vector API; says nothing about the worker
                    }
                    add(line);
                    if (listener != null) {
                        listener.accept(line);
                    }
                }
            } catch (IOException e) {
                add("(stream closed: " + e.getMessage() + ")");
            }
        });
    }

    private synchronized void add(String line) {
        lines.addLast(maxLines > 0 && line.length() > MAX_LINE_CHARS ? line.substring(0, MAX_LINE_CHARS) + "..." : line);
        if (maxLines > 0 && lines.size() > maxLines) {
            lines.removeFirst();
        }
    }

    /** Waits up to {@code timeoutMs} for the stream's end (the worker exited), then returns the lines kept. */
    List<String> lines(long timeoutMs) {
        try {
            reader.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            return new ArrayList<>(lines);
        }
    }
}
