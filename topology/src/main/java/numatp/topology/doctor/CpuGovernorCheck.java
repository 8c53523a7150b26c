package numatp.topology.doctor;

import numatp.topology.IdSet;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The cpufreq governor of each planned CPU ({@code cpuN/cpufreq/scaling_governor}).
 * {@code performance} keeps the clock up; {@code powersave}, {@code ondemand},
 * {@code conservative} and {@code schedutil} lower it between bursts, which a decode step
 * (short compute, then a wait in the allreduce) looks like, so per-token latency and its
 * p95 grow. Virtual machines and some drivers have no governors: unknown.
 */
final class CpuGovernorCheck implements HostCheck {
    static final String ID = "cpu-governor";
    private static final String TITLE = "CPU frequency governor";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Finding check(DoctorInput input) {
        IdSet cpus = input.plannedCpus();
        Map<String, Integer> byGovernor = new TreeMap<>();
        int missing = 0;
        for (int c = cpus.first(); c >= 0; c = cpus.next(c + 1)) {
            Optional<String> g = input.files().read("sys/devices/system/cpu/cpu" + c + "/cpufreq/scaling_governor");
            if (g.isEmpty() || g.get().isEmpty()) {
                missing++;
            } else {
                byGovernor.merge(g.get(), 1, Integer::sum);
            }
        }
        if (byGovernor.isEmpty()) {
            return Finding.unknown(ID, TITLE, "no cpufreq/scaling_governor for the planned CPUs (a VM, a driver"
                    + " without governors, or a capture without cpufreq)");
        }
        int slow = byGovernor.entrySet().stream().filter(e -> !e.getKey().equals("performance"))
                .mapToInt(Map.Entry::getValue).sum();
        String found = describe(byGovernor, cpus.size())
                + (missing > 0 ? "; " + missing + " without cpufreq" : "");
        if (slow == 0) {
            return Finding.ok(ID, TITLE, found);
        }
        return new Finding(ID, TITLE, Readiness.WARN, found + ": the clock drops between decode steps",
                "sudo cpupower frequency-set -g performance (or: echo performance | sudo tee"
                        + " /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor)");
    }

    private static String describe(Map<String, Integer> byGovernor, int planned) {
        StringBuilder out = new StringBuilder();
        byGovernor.forEach((g, n) -> out.append(out.isEmpty() ? "" : ", ").append(g).append(" on ").append(n));
        return out.append(" of ").append(planned).append(" planned CPUs").toString();
    }
}
