package numatp.topology.bind;

import java.util.Arrays;
import java.util.Locale;

/**
 * How {@code tp bind} gathers selected processes into groups (one group: the processes of one
 * serving instance, placed together on one socket).
 */
public enum GroupBy {
    /**
     * A process joins the group of its highest ancestor that also matches a group pattern (a
     * scheduler and the workers and proxies it started, through wrappers such as {@code sh -c});
     * a process with no matching ancestor leads its own group. The default.
     */
    TREE("tree"),
    /**
     * As {@code tree}, then the groups whose leaders share a parent merge: for launchers (torchrun,
     * a Python launcher) that start the scheduler and the workers as siblings and do not match a
     * pattern themselves. Parents pid 1 and unknown (0) never merge anything.
     */
    PARENT("parent"),
    /** Every selected process is a group of its own. */
    PROCESS("process");

    private final String label;

    GroupBy(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** From {@code --group-by} or {@code group_by}: tree, parent or process. */
    public static GroupBy parse(String text, String where) {
        for (GroupBy g : values()) {
            if (g.label.equals(text == null ? "" : text.toLowerCase(Locale.ROOT))) {
                return g;
            }
        }
        throw new BindException(where + ": expected one of " + Arrays.stream(values()).map(GroupBy::label).toList()
                + ", got " + text);
    }
}
