package numatp.topology.linux;

/** Where the calling thread ran at the moment of {@code getcpu(2)}; -1 when unknown. */
public record CpuLocation(int cpu, int node) {
    public static final CpuLocation UNKNOWN = new CpuLocation(-1, -1);

    public boolean known() {
        return cpu >= 0;
    }
}
