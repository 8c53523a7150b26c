package numatp.topology.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Swap ({@code /proc/swaps}, {@code SwapTotal}/{@code SwapFree} of {@code /proc/meminfo},
 * {@code vm.swappiness}). Weights are read on every token: a swapped-out page turns a
 * decode step into a disk read. Swap that exists but is unused is a warning only when the
 * kernel is eager to use it ({@code swappiness} above 10); swap in use is always one.
 */
final class SwapCheck implements HostCheck {
    static final String ID = "swap";
    private static final String TITLE = "swap";
    private static final long LOW_SWAPPINESS = 10;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Finding check(DoctorInput input) {
        Optional<String> swaps = input.files().read("proc/swaps");
        Optional<String> meminfo = input.files().read("proc/meminfo");
        OptionalLong total = meminfo.map(m -> kib(m, "SwapTotal:")).orElse(OptionalLong.empty());
        OptionalLong free = meminfo.map(m -> kib(m, "SwapFree:")).orElse(OptionalLong.empty());
        Optional<String> swappiness = input.files().read("proc/sys/vm/swappiness");
        if (swaps.isEmpty() && total.isEmpty()) {
            return Finding.unknown(ID, TITLE, "/proc/swaps and /proc/meminfo are absent (not captured)");
        }
        List<String> devices = new ArrayList<>();
        swaps.ifPresent(s -> s.lines().skip(1).map(String::trim).filter(l -> !l.isEmpty())
                .forEach(l -> devices.add(l.split("\\s+")[0])));
        long totalKib = total.orElse(devices.isEmpty() ? 0 : -1);
        if (totalKib == 0 && devices.isEmpty()) {
            return Finding.ok(ID, TITLE, "no swap");
        }
        long usedKib = total.isPresent() && free.isPresent() ? total.getAsLong() - free.getAsLong() : -1;
        long eagerness = swappiness.filter(s -> !s.isEmpty() && s.length() < 6 && s.chars().allMatch(Character::isDigit))
                .map(Long::parseLong).orElse(-1L);
        String found = (devices.isEmpty() ? "swap" : String.join(", ", devices))
                + (totalKib > 0 ? " (" + mib(totalKib) + ")" : "")
                + (usedKib >= 0 ? ", " + mib(usedKib) + " in use" : "")
                + ", swappiness " + (eagerness >= 0 ? eagerness : "unknown");
        String fix = "sudo sysctl -w vm.swappiness=1 (persist it in /etc/sysctl.d/), or sudo swapoff -a";
        if (usedKib > 0) {
            return new Finding(ID, TITLE, Readiness.WARN, found + ": some memory is already swapped out", fix);
        }
        if (eagerness > LOW_SWAPPINESS) {
            return new Finding(ID, TITLE, Readiness.WARN, found + ": under memory pressure weights may be swapped out",
                    fix);
        }
        return Finding.ok(ID, TITLE, found);
    }

    private static OptionalLong kib(String meminfo, String key) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith(key)) {
                String[] f = line.substring(key.length()).trim().split("\\s+");
                if (f.length > 0 && !f[0].isEmpty() && f[0].length() < 19 && f[0].chars().allMatch(Character::isDigit)) {
                    return OptionalLong.of(Long.parseLong(f[0]));
                }
            }
        }
        return OptionalLong.empty();
    }

    private static String mib(long kib) {
        return kib >= 10 * 1024 ? (kib / 1024) + " MiB" : kib + " KiB";
    }
}
