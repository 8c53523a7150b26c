package numatp.cli;

import org.junit.jupiter.api.Test;

import static numatp.cli.PlanCommandTest.tp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command answers {@code --help} with its own usage, and a usage error points there. */
class HelpOptionTest {
    @Test
    void everySubcommandPrintsItsOwnUsageForHelpEvenWithRequiredOptionsMissing() {
        String[][] commands = {
                {"generate"}, {"serve"}, {"plan"}, {"topology"}, {"numa-check"}, {"convert"},
                {"bench", "allreduce"}, {"bench", "generate"}, {"bench", "serve"},
        };
        for (String[] command : commands) {
            String[] args = java.util.Arrays.copyOf(command, command.length + 1);
            args[command.length] = "--help";
            PlanCommandTest.Result r = tp(args);
            assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: tp " + String.join(" ", command)), r.out());
        }
    }

    @Test
    void aUsageErrorNamesTheHelpOfTheCommandThatFailed() {
        PlanCommandTest.Result r = tp("bench", "allreduce");
        assertEquals(TpMain.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("Missing required option: '--shards"), r.err());
        assertTrue(r.err().contains("(run 'tp bench allreduce --help' for usage)"), r.err());
    }
}
