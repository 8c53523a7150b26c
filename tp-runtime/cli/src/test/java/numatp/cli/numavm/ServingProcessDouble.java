package numatp.cli.numavm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in for a serving instance's worker in the numa-vm guest: touches 8 MiB of heap (so
 * numa_maps has anonymous pages to move), starts threads named as the seed's forward threads
 * ({@code forward-N}, {@code prefill-N}, {@code decode-N}; the JVM gives each its Java name as
 * its {@code comm}), writes {@code readyFile} and sleeps. Args: N, readyFile, seconds.
 */
public final class ServingProcessDouble {
    private ServingProcessDouble() {
    }

    public static void main(String[] args) throws Exception {
        byte[][] heap = new byte[8][1 << 20];
        for (byte[] chunk : heap) {
            for (int i = 0; i < chunk.length; i += 4096) {
                chunk[i] = 1;
            }
        }
        CountDownLatch started = new CountDownLatch(3);
        CountDownLatch never = new CountDownLatch(1);
        for (String role : new String[]{"forward-", "prefill-", "decode-"}) {
            Thread t = new Thread(() -> {
                started.countDown();
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, role + args[0]);
            t.setDaemon(true);
            t.start();
        }
        started.await();
        Files.writeString(Path.of(args[1]), Long.toString(ProcessHandle.current().pid()));
        Thread.sleep(Duration.ofSeconds(Long.parseLong(args[2])));
        System.out.println(heap[7][4096]);
    }
}
