package numatp.topology.doctor;

import numatp.topology.IdSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Huge pages reserved per planned node ({@code nodeN/hugepages/hugepages-2048kB} and
 * {@code -1048576kB}, {@code nr_hugepages} and {@code free_hugepages}). Only
 * {@code --hugepages hugetlb} uses them, and it needs them on every planned node: with
 * some planned nodes reserved and others not, those shards fall back to small pages.
 */
final class HugePagesCheck implements HostCheck {
    static final String ID = "huge-pages";
    private static final String TITLE = "huge pages per node";
    private static final int[] SIZES_KIB = {2048, 1048576};

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Finding check(DoctorInput input) {
        IdSet nodes = input.plannedNodes();
        List<String> parts = new ArrayList<>();
        IdSet reserved = IdSet.empty();
        IdSet readable = IdSet.empty();
        for (int n = nodes.first(); n >= 0; n = nodes.next(n + 1)) {
            for (int kib : SIZES_KIB) {
                String dir = "sys/devices/system/node/node" + n + "/hugepages/hugepages-" + kib + "kB/";
                Optional<Long> total = number(input, dir + "nr_hugepages");
                Optional<Long> free = number(input, dir + "free_hugepages");
                if (total.isEmpty()) {
                    continue;
                }
                readable = readable.union(IdSet.of(n));
                if (total.get() > 0) {
                    reserved = reserved.union(IdSet.of(n));
                    parts.add("node " + n + ": " + total.get() + " x " + (kib == 2048 ? "2 MiB" : "1 GiB")
                            + free.map(f -> " (" + f + " free)").orElse(""));
                }
            }
        }
        if (readable.isEmpty()) {
            return Finding.unknown(ID, TITLE, "no nodeN/hugepages/ files for the planned nodes " + nodes.toListString()
                    + " (kernel without hugetlbfs, or not captured)");
        }
        if (reserved.isEmpty()) {
            return Finding.ok(ID, TITLE, "none reserved on nodes " + nodes.toListString()
                    + " (only --hugepages hugetlb needs them)");
        }
        String found = String.join(", ", parts);
        IdSet without = readable.minus(reserved);
        if (!without.isEmpty()) {
            return new Finding(ID, TITLE, Readiness.WARN, found + "; none on planned node(s) "
                    + without.toListString() + ": with --hugepages hugetlb their shards fall back to small pages",
                    "echo <count> | sudo tee /sys/devices/system/node/node" + without.first()
                            + "/hugepages/hugepages-2048kB/nr_hugepages (each planned node)");
        }
        return Finding.ok(ID, TITLE, found);
    }

    private static Optional<Long> number(DoctorInput input, String file) {
        return input.files().read(file).filter(s -> !s.isEmpty() && s.length() < 19 && s.chars().allMatch(Character::isDigit))
                .map(Long::parseLong);
    }
}
