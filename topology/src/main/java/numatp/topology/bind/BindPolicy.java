package numatp.topology.bind;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What {@code tp bind} plans: which processes form groups, which are "others", which threads are
 * forward threads, how many groups a socket takes and which socket the others share.
 *
 * @param name                  {@code generic}, {@code a3} or the config file, for reports
 * @param groupsPerSocket       groups placed on a socket before the next one is filled; 0 spreads
 *                              the groups round-robin over the sockets (the generic policy)
 * @param othersSocketIndex     the socket (0-based, in node order) the others run on; -1 picks the
 *                              socket with the fewest groups (the last one on a tie)
 * @param groupPatterns         regexes over a process's name and command line; any match makes it a group
 * @param otherPatterns         regexes for background processes (checked after the group patterns)
 * @param forwardThreadPatterns regexes over a thread's {@code comm}; matches go to the socket's second node
 * @param report                Markdown report file, or null for none
 * @param groupBy               how selected processes gather into groups (null: {@link GroupBy#TREE})
 */
public record BindPolicy(String name, int groupsPerSocket, int othersSocketIndex, List<String> groupPatterns,
                         List<String> otherPatterns, List<String> forwardThreadPatterns, String report,
                         GroupBy groupBy) {
    /** The seed's A3 defaults: scheduler/worker/rpc_proxy/tcp groups, Motor/Servicer others. */
    public static final List<String> A3_GROUPS = List.of("scheduler", "worker", "rpc_proxy", "tcp");
    public static final List<String> A3_OTHERS = List.of("Motor", "Servicer");
    public static final List<String> A3_FORWARD = List.of("forward", "prefill", "decode");

    public BindPolicy {
        if (groupsPerSocket < 0 || groupsPerSocket > 4096) {
            throw new BindException("groups_per_socket must be in [0, 4096]: " + groupsPerSocket);
        }
        if (othersSocketIndex < -1 || othersSocketIndex > 4096) {
            throw new BindException("others_socket_index must be -1 (auto) or in [0, 4096]: " + othersSocketIndex);
        }
        groupPatterns = checked("group_patterns / --group-pattern", groupPatterns);
        otherPatterns = checked("other_patterns / --other-pattern", otherPatterns);
        forwardThreadPatterns = checked("forward_thread_patterns / --forward-thread-pattern", forwardThreadPatterns);
        if (groupPatterns.isEmpty() && otherPatterns.isEmpty()) {
            throw new BindException("no process patterns: give --group-pattern and/or --other-pattern"
                    + " (or group_patterns / other_patterns in --config)");
        }
        if (name == null || name.isBlank()) {
            name = "generic";
        }
        groupBy = groupBy == null ? GroupBy.TREE : groupBy;
    }

    /** The generic policy: groups spread over every socket, others on the least loaded one. */
    public static BindPolicy generic(List<String> groups, List<String> others, List<String> forward) {
        return new BindPolicy("generic", 0, -1, groups, others, forward, null, GroupBy.TREE);
    }

    /** The seed's A3 layout: 4 groups per socket, others on socket 2 (default patterns where none given). */
    public static BindPolicy a3(List<String> groups, List<String> others, List<String> forward) {
        return new BindPolicy("a3", 4, 2, groups.isEmpty() ? A3_GROUPS : groups, others.isEmpty() ? A3_OTHERS : others,
                forward.isEmpty() ? A3_FORWARD : forward, null, GroupBy.TREE);
    }

    public BindPolicy withReport(String file) {
        return new BindPolicy(name, groupsPerSocket, othersSocketIndex, groupPatterns, otherPatterns,
                forwardThreadPatterns, file, groupBy);
    }

    public BindPolicy withGroupBy(GroupBy how) {
        return new BindPolicy(name, groupsPerSocket, othersSocketIndex, groupPatterns, otherPatterns,
                forwardThreadPatterns, report, how);
    }

    Pattern groupRegex() {
        return join(groupPatterns);
    }

    Pattern otherRegex() {
        return join(otherPatterns);
    }

    Pattern forwardRegex() {
        return join(forwardThreadPatterns);
    }

    private static Pattern join(List<String> patterns) {
        if (patterns.isEmpty()) {
            return null;
        }
        return Pattern.compile("(?:" + String.join(")|(?:", patterns) + ")");
    }

    private static List<String> checked(String field, List<String> patterns) {
        List<String> copy = patterns == null ? List.of() : List.copyOf(patterns);
        for (String p : copy) {
            if (p.isEmpty()) {
                throw new BindException(field + ": an empty pattern matches every process");
            }
            try {
                Pattern.compile(p);
            } catch (PatternSyntaxException e) {
                throw new BindException(field + ": not a regular expression: " + p + " (" + e.getDescription() + ")");
            }
        }
        return copy;
    }
}
