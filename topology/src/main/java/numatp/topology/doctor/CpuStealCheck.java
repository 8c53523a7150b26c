package numatp.topology.doctor;

import numatp.topology.IdSet;
import numatp.topology.doctor.ProcSnapshot.CpuTimes;

import java.util.Locale;
import java.util.Map;

/**
 * CPU steal on a virtual machine: the {@code steal} column of the planned CPUs' lines in
 * {@code /proc/stat} over the sample interval. Steal is time the hypervisor gave the
 * physical CPU to another guest while this one wanted to run; a pinned shard loses it
 * directly. When the counters did not move (a capture, or no interval), the share since
 * boot is shown instead and says so.
 */
final class CpuStealCheck implements HostCheck {
    static final String ID = "cpu-steal";
    private static final String TITLE = "CPU steal (virtual machines)";
    static final double WARN_SHARE = 0.02;
    static final double FAIL_SHARE = 0.20;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Finding check(DoctorInput input) {
        Samples samples = input.samples();
        Map<Integer, CpuTimes> now;
        if (samples.sampled()) {
            now = samples.after().orElseThrow().cpuTimes();
        } else {
            now = ProcSnapshot.read(input.files()).cpuTimes();
        }
        if (now.isEmpty()) {
            return Finding.unknown(ID, TITLE, "/proc/stat is absent or has no cpuN lines");
        }
        IdSet planned = input.plannedCpus();
        long total = 0;
        long steal = 0;
        boolean overInterval = false;
        if (samples.sampled()) {
            Map<Integer, CpuTimes> then = samples.before().orElseThrow().cpuTimes();
            for (int c = planned.first(); c >= 0; c = planned.next(c + 1)) {
                CpuTimes a = then.get(c);
                CpuTimes b = now.get(c);
                if (a != null && b != null && b.totalTicks() >= a.totalTicks()) {
                    total += b.totalTicks() - a.totalTicks();
                    steal += Math.max(0, b.stealTicks() - a.stealTicks());
                }
            }
            overInterval = total > 0;
        }
        if (!overInterval) {
            total = 0;
            steal = 0;
            for (int c = planned.first(); c >= 0; c = planned.next(c + 1)) {
                CpuTimes b = now.get(c);
                if (b != null) {
                    total += b.totalTicks();
                    steal += b.stealTicks();
                }
            }
        }
        if (total == 0) {
            return Finding.unknown(ID, TITLE, "/proc/stat has no counters for the planned CPUs");
        }
        double share = (double) steal / total;
        String found = String.format(Locale.ROOT, "%.1f%% of the planned CPUs' time %s", share * 100,
                overInterval ? "over " + samples.interval().toMillis() + " ms" : "since boot (counters not sampled"
                        + " over an interval)");
        if (share >= FAIL_SHARE) {
            return new Finding(ID, TITLE, Readiness.FAIL, found + ": the hypervisor runs other guests on these CPUs",
                    "use dedicated vCPUs (a dedicated-host or CPU-pinned instance type), or a less crowded host");
        }
        if (share >= WARN_SHARE) {
            return new Finding(ID, TITLE, Readiness.WARN, found + ": shards lose time to other guests",
                    "use dedicated vCPUs (a dedicated-host or CPU-pinned instance type)");
        }
        return Finding.ok(ID, TITLE, found);
    }
}
