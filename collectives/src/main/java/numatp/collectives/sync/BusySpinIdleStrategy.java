package numatp.collectives.sync;

/** Spins with {@link Thread#onSpinWait()}; only for ranks that each own a core. */
public final class BusySpinIdleStrategy implements IdleStrategy {
    @Override
    public void idle() {
        Thread.onSpinWait();
    }

    @Override
    public void reset() {
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
