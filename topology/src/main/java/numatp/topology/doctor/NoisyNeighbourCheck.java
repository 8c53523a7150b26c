package numatp.topology.doctor;

import numatp.topology.doctor.ProcSnapshot.ProcessTimes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Other processes busy on the planned CPUs: the {@code utime + stime} each process gained
 * between the two samples, counted on the CPU it last ran on. A process taking a tenth of
 * a planned CPU preempts a pinned shard thread often enough to show in p95; one taking half
 * of it or more (a busy loop, a batch job) halves that shard's speed, and every other shard
 * waits for the slowest in each allreduce.
 */
final class NoisyNeighbourCheck implements HostCheck {
    static final String ID = "noisy-neighbours";
    private static final String TITLE = "other busy processes on the planned CPUs";
    static final double WARN_SHARE = 0.10;
    static final double FAIL_SHARE = 0.50;
    private static final int LISTED = 5;

    @Override
    public String id() {
        return ID;
    }

    private record Busy(ProcessTimes process, double share) {
    }

    @Override
    public Finding check(DoctorInput input) {
        Samples samples = input.samples();
        if (!samples.sampled()) {
            return Finding.unknown(ID, TITLE, "not sampled (--sample-interval 0)");
        }
        ProcSnapshot before = samples.before().orElseThrow();
        ProcSnapshot after = samples.after().orElseThrow();
        if (after.processes().isEmpty()) {
            return Finding.unknown(ID, TITLE, "no /proc/PID/stat readable (a capture holds no processes)");
        }
        long ticks = samples.intervalTicks();
        List<Busy> busy = new ArrayList<>();
        for (ProcessTimes now : after.processes().values()) {
            ProcessTimes then = before.processes().get(now.pid());
            if (then == null || now.pid() == input.selfPid() || !input.plannedCpus().contains(now.cpu())) {
                continue;
            }
            long used = now.ticks() - then.ticks();
            double share = (double) used / ticks;
            if (used > 0 && share >= WARN_SHARE) {
                busy.add(new Busy(now, share));
            }
        }
        String checked = after.processes().size() + " processes over " + samples.interval().toMillis() + " ms";
        if (busy.isEmpty()) {
            return Finding.ok(ID, TITLE, "none above " + percent(WARN_SHARE) + " of a planned CPU (" + checked + ")");
        }
        busy.sort((a, b) -> Double.compare(b.share(), a.share()));
        StringBuilder found = new StringBuilder();
        for (int i = 0; i < Math.min(LISTED, busy.size()); i++) {
            Busy b = busy.get(i);
            found.append(i == 0 ? "" : ", ").append("pid ").append(b.process().pid()).append(" (")
                    .append(b.process().name()).append(") ").append(percent(b.share())).append(" on CPU ")
                    .append(b.process().cpu());
        }
        if (busy.size() > LISTED) {
            found.append(", ... (").append(busy.size()).append(" in all)");
        }
        boolean hog = busy.getFirst().share() >= FAIL_SHARE;
        found.append(hog ? ": a shard pinned there runs at a fraction of its speed" : ": shard threads get preempted")
                .append(" (").append(checked).append(')');
        return new Finding(ID, TITLE, hog ? Readiness.FAIL : Readiness.WARN, found.toString(),
                "stop or move them (taskset -acp <other CPUs> <pid>, or a systemd slice with AllowedCPUs= off the"
                        + " planned CPUs), or plan around them (--numa-nodes)");
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f%%", share * 100);
    }
}
