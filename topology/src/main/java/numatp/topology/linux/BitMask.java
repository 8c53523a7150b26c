package numatp.topology.linux;

import numatp.topology.IdSet;
import numatp.topology.TopologyException;

import java.util.BitSet;

/**
 * The kernel's {@code unsigned long[]} CPU and node masks, sized from how many ids the kernel
 * can have ({@code possible}), never a fixed 1024 bits: the kernel rejects a
 * {@code sched_getaffinity} buffer shorter than {@code nr_cpu_ids} bits and a
 * {@code get_mempolicy} mask shorter than {@code nr_node_ids}.
 */
public final class BitMask {
    private BitMask() {
    }

    /** Number of 64-bit words to hold ids {@code 0..idCount-1}; at least one. */
    public static int words(int idCount) {
        if (idCount < 0) {
            throw new IllegalArgumentException("id count must be >= 0: " + idCount);
        }
        return Math.max(1, (idCount + 63) / 64);
    }

    /**
     * Encodes {@code ids} into a mask of {@code words(idCount)} words.
     *
     * @param what "CPU" or "node", for the message when an id does not fit
     */
    public static long[] encode(IdSet ids, int idCount, String what) {
        long[] mask = new long[words(idCount)];
        for (int id = ids.first(); id >= 0; id = ids.next(id + 1)) {
            if (id >= idCount) {
                throw new TopologyException(what + " " + id + " is outside the kernel's possible "
                        + what + "s 0-" + (idCount - 1));
            }
            mask[id >>> 6] |= 1L << (id & 63);
        }
        return mask;
    }

    public static IdSet decode(long[] mask) {
        return IdSet.fromBitSet(BitSet.valueOf(mask));
    }
}
