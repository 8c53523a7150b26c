package numatp.topology.bind;

/**
 * One thing {@code --apply} did to a process: a thread's affinity ({@code tid} > 0) or its
 * pages ({@code tid} 0), and how it went.
 */
public record ApplyStep(int pid, int tid, String call, Status status, String detail) {
    public enum Status {
        /** Done. */
        OK("ok"),
        /** The kernel refused or failed it (EPERM, EINVAL, ...); the detail says which and why. */
        FAILED("failed"),
        /** The thread or process exited before it could be bound (ESRCH): nothing left to do. */
        GONE("gone"),
        /** Not attempted: nothing to move, or the process was gone. */
        SKIPPED("skipped");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
