package numatp.runtime.process;

import numatp.topology.NumatpException;

import java.util.List;

/**
 * The worker process's entry point for embedders without the CLI ({@code tp worker} runs the
 * same {@link NodeWorker}): started by {@link ProcessEngine}, never by hand. Exit status 0 after
 * the coordinator's stop, 1 after a failure (one {@code error:} line on stderr).
 */
public final class WorkerMain {
    private WorkerMain() {
    }

    public static void main(String[] args) {
        int status;
        try {
            status = NodeWorker.run(List.of(args), System.out);
        } catch (NumatpException e) {
            System.err.println("error: " + e.getMessage());
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }
}
