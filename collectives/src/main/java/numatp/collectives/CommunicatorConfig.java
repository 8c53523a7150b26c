package numatp.collectives;

import numatp.collectives.sync.IdleStrategy;

/**
 * Settings shared by every rank of a group (all ranks must use equal values).
 *
 * @param algorithm       allreduce algorithm, {@link Algorithm#AUTO} to choose by size
 * @param timeoutNs       how long a rank waits for a peer before failing the group
 * @param slotBytes       size of each of a rank's two shared data slots; messages larger than
 *                        a slot are cut into chunks and pipelined through the two slots
 * @param oneshotMaxBytes {@code AUTO} uses {@link Algorithm#ONESHOT} while message size times rank count
 *                        (what each rank reads) is at most this (at most 2 KiB for thread groups on
 *                        one node with a CPU per rank: see {@code ShmCommunicator.resolve})
 * @param idle            waiting strategy prototype (copied per rank), or null for
 *                        {@link IdleStrategy#forRanks} on this machine
 * @param bufferBytes     size of each rank's area of shared memory for {@link Communicator#allocateBuffer}
 *                        (0: none); a process group's peers can read only buffers inside it in place
 */
public record CommunicatorConfig(Algorithm algorithm, long timeoutNs, long slotBytes, long oneshotMaxBytes,
                                 IdleStrategy idle, long bufferBytes) {
    public static final long DEFAULT_TIMEOUT_NS = 10_000_000_000L;
    public static final long DEFAULT_SLOT_BYTES = 1L << 20;
    public static final long DEFAULT_ONESHOT_MAX_BYTES = 128L << 10;

    public CommunicatorConfig {
        if (algorithm == null) {
            throw new IllegalArgumentException("algorithm must be set");
        }
        if (timeoutNs <= 0) {
            throw new IllegalArgumentException("timeoutNs must be positive: " + timeoutNs);
        }
        if (slotBytes < 1024 || slotBytes % 128 != 0 || slotBytes > (1L << 30)) {
            throw new IllegalArgumentException("slotBytes must be a multiple of 128 in [1 KiB, 1 GiB]: " + slotBytes);
        }
        if (oneshotMaxBytes < 0) {
            throw new IllegalArgumentException("oneshotMaxBytes must be >= 0: " + oneshotMaxBytes);
        }
        if (bufferBytes < 0 || bufferBytes % 64 != 0 || bufferBytes > (1L << 40)) {
            throw new IllegalArgumentException("bufferBytes must be a multiple of 64 in [0, 1 TiB]: " + bufferBytes);
        }
    }

    public static CommunicatorConfig defaults() {
        return new CommunicatorConfig(Algorithm.AUTO, DEFAULT_TIMEOUT_NS, DEFAULT_SLOT_BYTES, DEFAULT_ONESHOT_MAX_BYTES, null, 0);
    }

    public CommunicatorConfig withAlgorithm(Algorithm a) {
        return new CommunicatorConfig(a, timeoutNs, slotBytes, oneshotMaxBytes, idle, bufferBytes);
    }

    public CommunicatorConfig withTimeoutNs(long ns) {
        return new CommunicatorConfig(algorithm, ns, slotBytes, oneshotMaxBytes, idle, bufferBytes);
    }

    public CommunicatorConfig withSlotBytes(long bytes) {
        return new CommunicatorConfig(algorithm, timeoutNs, bytes, oneshotMaxBytes, idle, bufferBytes);
    }

    public CommunicatorConfig withOneshotMaxBytes(long bytes) {
        return new CommunicatorConfig(algorithm, timeoutNs, slotBytes, bytes, idle, bufferBytes);
    }

    public CommunicatorConfig withIdle(IdleStrategy strategy) {
        return new CommunicatorConfig(algorithm, timeoutNs, slotBytes, oneshotMaxBytes, strategy, bufferBytes);
    }

    /** With an area of {@code bytes} per rank for {@link Communicator#allocateBuffer}, rounded up to 64 bytes. */
    public CommunicatorConfig withBufferBytes(long bytes) {
        return new CommunicatorConfig(algorithm, timeoutNs, slotBytes, oneshotMaxBytes, idle,
                bytes < 0 ? bytes : (bytes + 63) / 64 * 64);
    }
}
