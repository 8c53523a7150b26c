package numatp.collectives.shm;

import numatp.collectives.CollectiveException;
import numatp.collectives.process.RankLauncher;

import java.util.ArrayList;
import java.util.List;

/**
 * A launcher of {@link ProcessRankMain} ranks, run in its own JVM so a test can kill it:
 * {@code dir name nodes(comma) modes(comma, one per rank) idle}. Prints {@code WORKER <rank> <pid>}
 * per started rank, then each worker line as {@code rank <r>: <line>}; exits 0 after
 * {@code LAUNCHER-DONE} or 4 after {@code LAUNCHER-ERROR <message>}.
 */
public final class LauncherMain {
    public static void main(String[] args) throws Exception {
        String[] modes = args[3].split(",");
        List<List<String>> commands = new ArrayList<>();
        for (int r = 0; r < modes.length; r++) {
            commands.add(ProcessFaultsTest.rankCommand(args[0], args[1], r, args[2], modes[r], args[4]));
        }
        try (RankLauncher launcher = RankLauncher.start(commands, (rank, line) -> System.out.println("rank " + rank + ": " + line))) {
            for (int r = 0; r < modes.length; r++) {
                System.out.println("WORKER " + r + " " + launcher.pid(r));
            }
            launcher.awaitAll(60_000_000_000L);
            System.out.println("LAUNCHER-DONE");
        } catch (CollectiveException e) {
            System.out.println("LAUNCHER-ERROR " + e.getMessage());
            System.exit(4);
        }
    }
}
