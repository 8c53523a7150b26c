package numatp.collectives.sync;

/**
 * Spins with {@link Thread#onSpinWait()}; only for ranks that each own a core. When the
 * scheduler has put the awaited peer on the waiter's CPU anyway ({@link #yieldFirst()}), that
 * wait yields instead: spinning there would hold the peer off until the time slice ends.
 */
public final class BusySpinIdleStrategy implements IdleStrategy {
    private boolean yielding;

    @Override
    public void idle() {
        if (yielding) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }

    @Override
    public void reset() {
        yielding = false;
    }

    @Override
    public void yieldFirst() {
        yielding = true;
    }

    @Override
    public boolean parking() {
        return false;
    }

    @Override
    public IdleStrategy copy() {
        return new BusySpinIdleStrategy();
    }

    @Override
    public String toString() {
        return "busy-spin";
    }
}
