package numatp.topology.doctor;

import numatp.topology.IdSet;

import java.util.List;

/**
 * The findings of {@code tp doctor}, in check order, with the verdict: {@link #readiness()}
 * is the worst finding (unknown counts as ok), {@link #exitCode()} maps it to the command's
 * exit status.
 *
 * @param root         what was checked ({@code /} or the capture)
 * @param plannedCpus  the CPUs the plan uses
 * @param plannedNodes the nodes the plan uses
 * @param findings     one per check
 */
public record DoctorReport(String root, IdSet plannedCpus, IdSet plannedNodes, List<Finding> findings) {
    /** Exit status when every check is ok or unknown: ready to serve. */
    public static final int EXIT_READY = 0;
    /** Exit status when some check failed: cannot serve as planned (the CLI's usage-error code). */
    public static final int EXIT_FAIL = 2;
    /** Exit status when some check warns and none fails: serving works, slower or less steady. */
    public static final int EXIT_WARN = 3;

    public DoctorReport {
        findings = List.copyOf(findings);
    }

    /** The worst finding, unknown counting as ok: ok, warn or fail. */
    public Readiness readiness() {
        Readiness worst = Readiness.OK;
        for (Finding f : findings) {
            if (f.status() != Readiness.UNKNOWN) {
                worst = worst.worst(f.status());
            }
        }
        return worst;
    }

    public int exitCode() {
        return switch (readiness()) {
            case OK, UNKNOWN -> EXIT_READY;
            case WARN -> EXIT_WARN;
            case FAIL -> EXIT_FAIL;
        };
    }

    public long count(Readiness status) {
        return findings.stream().filter(f -> f.status() == status).count();
    }

    /** One block per finding, then the verdict line. */
    public String toText() {
        StringBuilder out = new StringBuilder();
        out.append("checking ").append(root).append(" for serving on CPUs ").append(plannedCpus.toListString())
                .append(" (nodes ").append(plannedNodes.toListString()).append(")\n");
        for (Finding f : findings) {
            out.append(f.toText()).append('\n');
        }
        out.append(switch (readiness()) {
            case OK, UNKNOWN -> "ready to serve";
            case WARN -> "ready, with warnings";
            case FAIL -> "NOT ready to serve";
        }).append(": ").append(count(Readiness.OK)).append(" ok, ").append(count(Readiness.WARN)).append(" warn, ")
                .append(count(Readiness.FAIL)).append(" fail, ").append(count(Readiness.UNKNOWN)).append(" unknown")
                .append(" (exit ").append(exitCode()).append(")\n");
        return out.toString();
    }
}
