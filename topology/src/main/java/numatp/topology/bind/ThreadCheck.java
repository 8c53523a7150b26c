package numatp.topology.bind;

import numatp.topology.IdSet;

/** One thread read back: the CPUs wanted and the kernel's {@code Cpus_allowed_list} (null: thread gone). */
public record ThreadCheck(int tid, String comm, IdSet wanted, IdSet got) {
    public boolean gone() {
        return got == null;
    }

    public boolean matches() {
        return got != null && got.equals(wanted);
    }

    public String verdict() {
        return gone() ? "gone" : matches() ? "match" : "mismatch";
    }
}
