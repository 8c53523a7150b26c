package numatp.collectives.shm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Every output line of a child process, read on a daemon thread; a test waits for a line with a deadline. */
final class ProcessLines {
    private final List<String> lines = new ArrayList<>();
    private boolean ended;

    ProcessLines(Process process) {
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    synchronized (this) {
                        lines.add(line);
                        notifyAll();
                    }
                }
            } catch (IOException e) {
                // Process killed: the lines read so far stay.
            }
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        });
    }

    /** The first line containing {@code text}; fails with every line read when none arrives in time. */
    synchronized String await(String text, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (int seen = 0; ; ) {
            for (; seen < lines.size(); seen++) {
                if (lines.get(seen).contains(text)) {
                    return lines.get(seen);
                }
            }
            long left = deadline - System.nanoTime();
            if (ended || left <= 0) {
                throw new AssertionError("no line with '" + text + "' within " + timeoutMs + " ms" + (ended ? " (output ended)" : "")
                        + ":\n" + String.join("\n", lines));
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    synchronized String all() {
        return String.join("\n", lines);
    }
}
