package numatp.runtime.hosts;

/**
 * A rank of a {@code --workers mpi} job that the liveness channel lost, as rank 0's
 * {@link LivenessWatch} saw it: which rank on which host, and how.
 *
 * @param rank the world rank
 * @param host its host's name (as the job names hosts: {@code NUMATP_MPI_HOST} or the processor name)
 * @param pid  its process id on that host
 * @param how  how it was lost
 * @param note what the socket said, if anything (an I/O error's message), else empty
 */
public record RankLoss(int rank, String host, long pid, How how, String note) {
    /** How a rank was lost. */
    public enum How {
        /** Its connection closed without a goodbye: the process died (killed, crashed) or its host went down. */
        DIED,
        /** Nothing heard from it for the dead bound: its host is stopped or its link is down. */
        SILENT,
        /** It said goodbye while rank 0 was not stopping the job: it received a signal (mpirun is ending the job). */
        LEFT,
        /** It reported its own failure (its step failed) before ending the job: the note says what failed. */
        FAILED
    }

    public RankLoss {
        if (how == null || host == null || note == null) {
            throw new IllegalArgumentException("how, host and note are required: " + how + ", " + host + ", " + note);
        }
    }

    /** One line naming the rank, its host and pid, and what happened, for a 503 and the log. */
    public String describe(long silentMs) {
        String who = "world rank " + rank + " (host " + host + ", pid " + pid + ")";
        return who + switch (how) {
            case DIED -> " died: its liveness connection closed without a goodbye (the process was killed or"
                    + " crashed, or its host went down)" + (note.isEmpty() ? "" : " (" + note + ")");
            case SILENT -> " has not been heard from in " + silentMs + " ms (--collective-timeout-ms): its host is"
                    + " stopped or its link is down";
            case LEFT -> " is exiting (it received a signal: mpirun is ending the job)";
            case FAILED -> " failed: " + note;
        };
    }
}
