package numatp.runtime.hosts;

import numatp.collectives.ElementType;
import numatp.collectives.mpi.MpiCommunicator;
import numatp.models.tp.LocalShards;

import java.lang.foreign.Arena;

/**
 * A rank other than 0 of {@code --workers mpi}: receives each step rank 0 broadcasts and runs it on
 * this rank's shards, until rank 0 broadcasts the stop. A step that fails here cannot be finished by
 * the others (they wait in a collective for these shards), so the caller ends the whole job.
 */
final class HostFollower {
    /** How long a follower spins for the next step before it polls: back-to-back steps hand over in microseconds. */
    static final long SPIN_NS = 50_000_000L;
    static final long POLL_NS = 1_000_000L;
    private HostFollower() {
    }

    /** Follows rank 0's steps until its stop; returns the steps run. */
    static long follow(LocalShards shards, MpiCommunicator world, int maxBatch) {
        int vocab = shards.config().vocabSize();
        int[] tokens = new int[maxBatch];
        int[] slots = new int[maxBatch];
        int[] positions = new int[maxBatch];
        float[][] logits = new float[maxBatch][];
        float[][] buffers = new float[maxBatch][vocab];
        long steps = 0;
        try (Arena arena = Arena.ofConfined()) {
            StepHeader header = new StepHeader(arena, maxBatch);
            while (true) {
                // Rank 0 may be idle for hours (a server between requests): wait unbounded, polling once a ms.
                world.broadcastWaiting(header.segment(), header.count(), ElementType.F32, 0, SPIN_NS, POLL_NS, false);
                int n = header.entries();
                if (n == StepHeader.STOP) {
                    return steps;
                }
                header.read(n, tokens, slots, positions, logits, buffers);
                shards.step(n, tokens, slots, positions, logits);
                steps++;
            }
        }
    }
}
