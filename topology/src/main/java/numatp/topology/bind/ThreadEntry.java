package numatp.topology.bind;

/** One thread of a process as /proc shows it: its id and {@code comm} name. */
public record ThreadEntry(int tid, String comm) {
    public ThreadEntry {
        if (tid <= 0) {
            throw new BindException("thread id must be positive: " + tid);
        }
        comm = comm == null ? "" : comm;
    }
}
