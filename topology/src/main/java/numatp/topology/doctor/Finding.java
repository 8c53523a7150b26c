package numatp.topology.doctor;

/**
 * One check's answer.
 *
 * @param id     the stable machine name of the check ({@code cpu-governor}); see docs/operations.md
 * @param title  what was checked, for humans ("CPU frequency governor")
 * @param status ok, warn, fail or unknown
 * @param found  what was found, one line ("powersave on 16 of 16 planned CPUs")
 * @param fix    what to do about it, one line; empty when nothing is needed
 */
public record Finding(String id, String title, Readiness status, String found, String fix) {
    public Finding {
        if (id == null || id.isBlank() || title == null || status == null || found == null) {
            throw new IllegalArgumentException("a finding needs an id, title, status and what was found: " + id);
        }
        fix = fix == null ? "" : fix;
    }

    static Finding ok(String id, String title, String found) {
        return new Finding(id, title, Readiness.OK, found, "");
    }

    static Finding unknown(String id, String title, String why) {
        return new Finding(id, title, Readiness.UNKNOWN, why, "");
    }

    /** {@code [warn] CPU frequency governor: powersave on 16 CPUs -> fix: ...}. */
    public String toText() {
        String tag = switch (status) {
            case OK -> "[ok]     ";
            case WARN -> "[warn]   ";
            case FAIL -> "[FAIL]   ";
            case UNKNOWN -> "[unknown]";
        };
        return tag + " " + title + ": " + found + (fix.isEmpty() ? "" : "\n          fix: " + fix);
    }
}
