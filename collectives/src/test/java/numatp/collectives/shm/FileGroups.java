package numatp.collectives.shm;

import numatp.collectives.Communicator;
import numatp.collectives.CommunicatorConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Process-transport groups whose ranks are threads of the test JVM (each maps the file itself). */
public final class FileGroups {
    private FileGroups() {
    }

    public static List<Communicator> join(Path dir, int[] nodes, CommunicatorConfig config) throws Exception {
        String name = ProcessTransport.uniqueName();
        List<CompletableFuture<Communicator>> joins = new ArrayList<>();
        for (int r = 0; r < nodes.length; r++) {
            int rank = r;
            // A thread per rank: joins block until every rank has joined.
            joins.add(CompletableFuture.supplyAsync(() -> ProcessTransport.join(dir, name, rank, nodes, config),
                    task -> Thread.ofPlatform().daemon().start(task)));
        }
        List<Communicator> group = new ArrayList<>();
        for (CompletableFuture<Communicator> f : joins) {
            group.add(f.get());
        }
        return group;
    }
}
