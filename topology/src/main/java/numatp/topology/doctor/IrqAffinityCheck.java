package numatp.topology.doctor;

import numatp.topology.IdSet;
import numatp.topology.TopologyException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Device interrupts that land on planned CPUs: numbered lines of {@code /proc/interrupts}
 * with a count on a planned CPU whose {@code /proc/irq/N/smp_affinity_list} allows a
 * planned CPU. Each such interrupt preempts a pinned shard thread, and the other shards
 * wait for it in the next allreduce. Counts are since boot, so an interrupt counts only
 * from {@value #MIN_COUNT} on the planned CPUs (boot-time ones stay below). Per-CPU interrupts (timer {@code LOC}, {@code RES},
 * ...) have no number and cannot be moved, so they are not counted.
 */
final class IrqAffinityCheck implements HostCheck {
    static final String ID = "irq-affinity";
    private static final String TITLE = "IRQ affinity";
    private static final int LISTED = 5;
    /** Interrupts on the planned CPUs since boot below which an IRQ is not worth moving. */
    static final long MIN_COUNT = 1000;

    @Override
    public String id() {
        return ID;
    }

    /** One numbered interrupt that may land on a planned CPU. */
    private record Irq(int number, long countOnPlanned, IdSet affinity, String device) {
    }

    @Override
    public Finding check(DoctorInput input) {
        Optional<String> interrupts = input.files().read("proc/interrupts");
        if (interrupts.isEmpty()) {
            return Finding.unknown(ID, TITLE, "/proc/interrupts is absent (not captured)");
        }
        List<String> lines = interrupts.get().lines().toList();
        if (lines.isEmpty()) {
            return Finding.unknown(ID, TITLE, "/proc/interrupts is empty");
        }
        int[] columns = header(lines.getFirst());
        IdSet planned = input.plannedCpus();
        List<Irq> hits = new ArrayList<>();
        int numbered = 0;
        int withoutAffinity = 0;
        for (String line : lines.subList(1, lines.size())) {
            int colon = line.indexOf(':');
            String label = colon > 0 ? line.substring(0, colon).trim() : "";
            if (label.isEmpty() || label.length() > 7 || !label.chars().allMatch(Character::isDigit)) {
                continue;
            }
            numbered++;
            int irq = Integer.parseInt(label);
            String[] f = line.substring(colon + 1).trim().split("\\s+");
            long onPlanned = 0;
            for (int i = 0; i < Math.min(f.length, columns.length); i++) {
                if (planned.contains(columns[i]) && !f[i].isEmpty() && f[i].length() < 19
                        && f[i].chars().allMatch(Character::isDigit)) {
                    onPlanned += Long.parseLong(f[i]);
                }
            }
            Optional<IdSet> affinity = affinity(input, irq);
            if (affinity.isEmpty()) {
                withoutAffinity++;
                continue;
            }
            if (onPlanned >= MIN_COUNT && affinity.get().intersects(planned)) {
                String device = f.length > columns.length ? f[f.length - 1] : "?";
                hits.add(new Irq(irq, onPlanned, affinity.get(), device));
            }
        }
        if (numbered == 0) {
            return Finding.unknown(ID, TITLE, "no numbered interrupts in /proc/interrupts");
        }
        if (withoutAffinity == numbered) {
            return Finding.unknown(ID, TITLE, "no /proc/irq/N/smp_affinity_list readable (not captured, or no"
                    + " permission)");
        }
        if (hits.isEmpty()) {
            return Finding.ok(ID, TITLE, "no device interrupts on the planned CPUs " + planned.toListString()
                    + " (" + numbered + " interrupts checked)");
        }
        hits.sort((a, b) -> Long.compare(b.countOnPlanned(), a.countOnPlanned()));
        StringBuilder found = new StringBuilder().append(hits.size()).append(" device interrupt(s) fire on planned"
                + " CPUs: ");
        for (int i = 0; i < Math.min(LISTED, hits.size()); i++) {
            Irq h = hits.get(i);
            found.append(i == 0 ? "" : ", ").append(h.number()).append(" (").append(h.device()).append(", ")
                    .append(h.countOnPlanned()).append(" so far, affinity ").append(h.affinity().toListString())
                    .append(')');
        }
        if (hits.size() > LISTED) {
            found.append(", ...");
        }
        IdSet online = input.topology().complete().cpuIds();
        IdSet spare = online.minus(planned);
        String fix = spare.isEmpty()
                ? "the plan uses every CPU: leave a core per node out of it (--threads-per-shard) for interrupts,"
                        + " then move them there"
                : "echo " + spare.toListString() + " | sudo tee /proc/irq/" + hits.getFirst().number()
                        + "/smp_affinity_list (each listed IRQ), or IRQBALANCE_BANNED_CPULIST=" + planned.toListString()
                        + " in /etc/default/irqbalance";
        return new Finding(ID, TITLE, Readiness.WARN, found.toString(), fix);
    }

    /** CPU id of each count column: the header names them ({@code CPU0 CPU1 CPU4 ...}, offline ones missing). */
    private static int[] header(String line) {
        String[] names = line.trim().split("\\s+");
        List<Integer> ids = new ArrayList<>();
        for (String name : names) {
            if (name.startsWith("CPU") && name.length() > 3 && name.length() < 11
                    && name.substring(3).chars().allMatch(Character::isDigit)) {
                ids.add(Integer.parseInt(name.substring(3)));
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Optional<IdSet> affinity(DoctorInput input, int irq) {
        String list = "proc/irq/" + irq + "/smp_affinity_list";
        try {
            Optional<String> text = input.files().read(list);
            if (text.isPresent()) {
                return Optional.of(IdSet.parseList(text.get(), "/" + list));
            }
            return input.files().read("proc/irq/" + irq + "/smp_affinity")
                    .map(mask -> IdSet.parseMask(mask, "/proc/irq/" + irq + "/smp_affinity"));
        } catch (TopologyException e) {
            return Optional.empty();
        }
    }
}
