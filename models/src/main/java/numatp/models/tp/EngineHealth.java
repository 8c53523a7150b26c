package numatp.models.tp;

import java.util.Locale;

/**
 * Whether a {@link SequenceEngine} can run steps, as a health check or a router over several
 * engines asks it (from any thread): {@code ok}; {@code restarting} after it lost part of itself
 * (a worker process died) while it brings that back; {@code failed} when it cannot run again.
 *
 * @param state    the state
 * @param detail   what happened, naming the part that failed and how (empty when ok)
 * @param restarts restarts the engine has made since it started
 */
public record EngineHealth(State state, String detail, int restarts) {
    /** The three states. */
    public enum State {
        OK, RESTARTING, FAILED;

        /** {@code ok}, {@code restarting}, {@code failed}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final EngineHealth OK = new EngineHealth(State.OK, "", 0);

    public EngineHealth {
        if (state == null || detail == null || restarts < 0) {
            throw new IllegalArgumentException("state and detail are required, restarts >= 0: " + state + ", "
                    + detail + ", " + restarts);
        }
    }

    public static EngineHealth ok(int restarts) {
        return new EngineHealth(State.OK, "", restarts);
    }

    public static EngineHealth restarting(String detail, int restarts) {
        return new EngineHealth(State.RESTARTING, detail, restarts);
    }

    public static EngineHealth failed(String detail, int restarts) {
        return new EngineHealth(State.FAILED, detail, restarts);
    }

    /** True when the engine runs steps. */
    public boolean ok() {
        return state == State.OK;
    }
}
