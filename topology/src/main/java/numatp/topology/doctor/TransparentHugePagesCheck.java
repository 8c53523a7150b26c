package numatp.topology.doctor;

import java.util.Optional;

/**
 * Transparent huge pages ({@code /sys/kernel/mm/transparent_hugepage/enabled} and
 * {@code defrag}). {@code never} takes {@code --hugepages thp} away (more TLB misses over
 * gigabytes of weights); {@code defrag = always} makes a page fault compact memory
 * synchronously, a stall of milliseconds in whichever thread touched the page.
 */
final class TransparentHugePagesCheck implements HostCheck {
    static final String ID = "transparent-huge-pages";
    private static final String TITLE = "transparent huge pages";
    private static final String DIR = "sys/kernel/mm/transparent_hugepage/";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Finding check(DoctorInput input) {
        Optional<String> enabled = input.files().read(DIR + "enabled").map(TransparentHugePagesCheck::selected);
        Optional<String> defrag = input.files().read(DIR + "defrag").map(TransparentHugePagesCheck::selected);
        if (enabled.isEmpty()) {
            return Finding.unknown(ID, TITLE, "/" + DIR + "enabled is absent (kernel without THP, or not captured)");
        }
        String found = "enabled " + enabled.get() + ", defrag " + defrag.orElse("unknown");
        if (enabled.get().equals("never")) {
            return new Finding(ID, TITLE, Readiness.WARN, found + ": --hugepages thp cannot work",
                    "echo madvise | sudo tee /" + DIR + "enabled");
        }
        if (defrag.filter(d -> d.equals("always")).isPresent()) {
            return new Finding(ID, TITLE, Readiness.WARN, found + ": page faults compact memory synchronously"
                    + " (latency spikes)", "echo madvise | sudo tee /" + DIR + "defrag");
        }
        return Finding.ok(ID, TITLE, found);
    }

    /** The bracketed choice of a selector like {@code always [madvise] never}. */
    static String selected(String text) {
        int open = text.indexOf('[');
        int close = text.indexOf(']', open + 1);
        return open >= 0 && close > open ? text.substring(open + 1, close) : text.strip();
    }
}
