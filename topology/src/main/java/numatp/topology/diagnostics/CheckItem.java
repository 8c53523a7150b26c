package numatp.topology.diagnostics;

/**
 * One line of the system check.
 *
 * @param name what was checked ("numa balancing")
 * @param status ok, warn, or info (neither good nor bad, depends on use)
 * @param value what was found ("on (1)")
 * @param recommendation what to do about it, one line; empty when nothing is needed
 */
public record CheckItem(String name, Status status, String value, String recommendation) {
    public enum Status { OK, WARN, INFO }

    /** {@code [warn] numa balancing: on (1) -> echo 0 > /proc/sys/kernel/numa_balancing}. */
    public String toText() {
        String tag = switch (status) {
            case OK -> "[ok]  ";
            case WARN -> "[warn]";
            case INFO -> "[info]";
        };
        return tag + " " + name + ": " + value + (recommendation.isEmpty() ? "" : " -> " + recommendation);
    }
}
