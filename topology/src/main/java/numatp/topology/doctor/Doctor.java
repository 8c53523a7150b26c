package numatp.topology.doctor;

import java.util.ArrayList;
import java.util.List;

/**
 * "Is this host ready to serve?": runs every {@link HostCheck} over one {@link DoctorInput}
 * and collects the findings in a fixed order (the order of docs/operations.md).
 */
public final class Doctor {
    private final List<HostCheck> checks;

    public Doctor(List<HostCheck> checks) {
        this.checks = List.copyOf(checks);
    }

    /** Every check, in report order. */
    public static Doctor standard() {
        return new Doctor(List.of(new CpuGovernorCheck(), new NumaBalancingCheck(), new TransparentHugePagesCheck(),
                new HugePagesCheck(), new SwapCheck(), new IrqAffinityCheck(), new CgroupLimitsCheck(),
                new NoisyNeighbourCheck(), new CpuStealCheck(), new SmtCheck()));
    }

    /** The ids of the checks, in report order. */
    public List<String> ids() {
        return checks.stream().map(HostCheck::id).toList();
    }

    public DoctorReport run(DoctorInput input, String rootShown) {
        List<Finding> findings = new ArrayList<>();
        for (HostCheck check : checks) {
            Finding f = check.check(input);
            if (!f.id().equals(check.id())) {
                throw new IllegalStateException(check.getClass().getSimpleName() + " answered as " + f.id());
            }
            findings.add(f);
        }
        return new DoctorReport(rootShown, input.plannedCpus(), input.plannedNodes(), findings);
    }
}
