package numatp.topology.bind;

/** The memory policy a bound process should run under. */
public enum MemoryMode {
    /** Pages spread round-robin over the socket's nodes (a group: both dies' bandwidth). */
    INTERLEAVE("interleave"),
    /** Pages on the node the process runs on. */
    LOCAL("local");

    private final String label;

    MemoryMode(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
