package numatp.topology.doctor;

import numatp.topology.Cpu;
import numatp.topology.IdSet;

import java.util.Optional;

/**
 * Simultaneous multithreading ({@code /sys/devices/system/cpu/smt/active} and each CPU's
 * siblings). Two shard threads on the siblings of one core share its vector units, so
 * each runs at roughly half speed and the allreduce waits for them; one thread per core is
 * the layout to aim for. SMT being on is fine as long as the plan does not double up.
 */
final class SmtCheck implements HostCheck {
    static final String ID = "smt";
    private static final String TITLE = "SMT (hyper-threading)";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Finding check(DoctorInput input) {
        Optional<String> active = input.files().read("sys/devices/system/cpu/smt/active");
        IdSet planned = input.plannedCpus();
        int maxSiblings = 0;
        int shared = 0;
        IdSet seen = IdSet.empty();
        boolean siblingsKnown = false;
        for (Cpu c : input.topology().cpus()) {
            if (!c.online() || c.siblings().isEmpty()) {
                continue;
            }
            siblingsKnown = true;
            maxSiblings = Math.max(maxSiblings, c.siblings().size());
            if (planned.contains(c.id()) && !seen.contains(c.id())) {
                IdSet onCore = c.siblings().intersect(planned);
                seen = seen.union(onCore);
                if (onCore.size() > 1) {
                    shared++;
                }
            }
        }
        if (active.isEmpty() && !siblingsKnown) {
            return Finding.unknown(ID, TITLE, "no smt/active and no thread siblings (not captured)");
        }
        String state = active.map(a -> a.equals("1") ? "on" : a.equals("0") ? "off" : a).orElse(
                maxSiblings > 1 ? "on (from siblings)" : "off (from siblings)");
        String threads = maxSiblings > 1 ? ", " + maxSiblings + " threads per core" : "";
        if (shared > 0) {
            return new Finding(ID, TITLE, Readiness.WARN, state + threads + ": the plan puts shard threads on both"
                    + " siblings of " + shared + " core(s); they share one core's vector units",
                    "plan one thread per core: fewer --threads-per-shard (scatter and compact use siblings only"
                            + " when the cores run out), or turn SMT off (echo off | sudo tee"
                            + " /sys/devices/system/cpu/smt/control)");
        }
        return Finding.ok(ID, TITLE, state + threads + (maxSiblings > 1 ? ", the plan uses one thread per core" : ""));
    }
}
