package numatp.topology.binding;

/** What a {@link PinnedThreadFactory} does to the threads it starts. */
public enum BindMode {
    /** Pin each thread to its CPU and set its memory policy for the shard's node; verify with getcpu. */
    BIND,
    /**
     * The plan was made for another machine (a captured topology): run the threads unpinned and
     * record that binding was skipped.
     */
    SIMULATED,
    /** Run the threads unpinned (tests, or binding switched off by the user). */
    NONE
}
