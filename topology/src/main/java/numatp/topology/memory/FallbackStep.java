package numatp.topology.memory;

/**
 * One step down the fallback chain, e.g. from {@code bind} to {@code preferred} because
 * {@code node 1 has 180 MiB free, 256 MiB requested}. Huge page fallbacks use the huge page
 * modes as {@code from}/{@code to}.
 *
 * @param from what was tried ("bind", "hugetlb")
 * @param to what is tried next ("preferred", "thp")
 * @param reason why, in words a user can act on
 */
public record FallbackStep(String from, String to, String reason) {
    /** The log line: {@code <reason>: falling back to <to>}. */
    public String message() {
        return reason + ": falling back to " + to;
    }
}
