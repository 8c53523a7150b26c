package numatp.topology.doctor;

/**
 * One readiness check of {@code tp doctor}. Implementations read files through
 * {@link DoctorInput#files()} (root-relative, so a capture is checked like the live
 * machine), never throw on a missing or malformed file (they answer
 * {@link Readiness#UNKNOWN} and say why), and return exactly one finding.
 */
public interface HostCheck {
    /** The stable id of the finding this check returns ({@code cpu-governor}). */
    String id();

    Finding check(DoctorInput input);
}
