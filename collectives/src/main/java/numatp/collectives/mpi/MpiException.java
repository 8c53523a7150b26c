package numatp.collectives.mpi;

import numatp.collectives.CollectiveException;

/** An MPI call that failed, the library that is missing, or an MPI job that cannot continue. */
public final class MpiException extends CollectiveException {
    public MpiException(String message) {
        super(message);
    }

    public MpiException(String message, Throwable cause) {
        super(message, cause);
    }
}
