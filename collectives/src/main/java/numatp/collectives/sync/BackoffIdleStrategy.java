package numatp.collectives.sync;

import java.util.concurrent.locks.LockSupport;

/**
 * Spin ({@link Thread#onSpinWait()}) for {@code maxSpins} polls, then {@link Thread#yield()}
 * for {@code maxYields} polls, then park with a period doubling from {@code minParkNs} to
 * {@code maxParkNs}. Stays correct and reasonably fast with more ranks than cores: the yield
 * phase hands the core to the peer being waited for. A wait for a peer sharing the caller's CPU
 * ({@link #yieldFirst()}) skips the spins.
 */
public final class BackoffIdleStrategy implements IdleStrategy {
    private final int maxSpins;
    private final int maxYields;
    private final long minParkNs;
    private final long maxParkNs;

    private int spins;
    private int yields;
    private long parkNs;

    public BackoffIdleStrategy(int maxSpins, int maxYields, long minParkNs, long maxParkNs) {
        if (maxSpins < 0 || maxYields < 0 || minParkNs < 1 || maxParkNs < minParkNs) {
            throw new IllegalArgumentException("backoff needs spins >= 0, yields >= 0, 1 <= minParkNs <= maxParkNs: "
                    + maxSpins + ", " + maxYields + ", " + minParkNs + ", " + maxParkNs);
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNs = minParkNs;
        this.maxParkNs = maxParkNs;
        reset();
    }

    @Override
    public void idle() {
        if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
        } else if (yields < maxYields) {
            yields++;
            Thread.yield();
        } else {
            LockSupport.parkNanos(parkNs);
            parkNs = Math.min(parkNs << 1, maxParkNs);
        }
    }

    @Override
    public void reset() {
        spins = 0;
        yields = 0;
        parkNs = minParkNs;
    }

    @Override
    public void yieldFirst() {
        spins = maxSpins;
    }

    @Override
    public boolean parking() {
        return yields >= maxYields && spins >= maxSpins;
    }

    @Override
    public IdleStrategy copy() {
        return new BackoffIdleStrategy(maxSpins, maxYields, minParkNs, maxParkNs);
    }

    @Override
    public String toString() {
        return "backoff(spins=" + maxSpins + ", yields=" + maxYields + ", park=" + minParkNs + ".." + maxParkNs + "ns)";
    }
}
