package numatp.cli;

import numatp.topology.IdSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tp serve --print-systemd-unit}: what the unit says, and that systemd accepts it. */
class SystemdUnitTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
    }

    static Result tp(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TpMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    private static List<String> lines(String unit) {
        return unit.lines().toList();
    }

    @Test
    void rendersAffinityMemoryPolicyLimitsAndRestart() {
        SystemdUnit unit = new SystemdUnit(List.of("/opt/numatp/tp", "serve", "--model", "/srv/m.gguf", "--shards", "4"),
                "numatp", "/opt/numatp", IdSet.of(0, 1, 2, 3, 8, 9, 10, 11), IdSet.of(0, 1), true, "-Xmx16g -XX:+UseZGC",
                OptionalInt.of(30));
        List<String> lines = lines(unit.render());
        for (String expected : List.of("User=numatp", "WorkingDirectory=/opt/numatp",
                "Environment=\"TP_JAVA_OPTS=-Xmx16g -XX:+UseZGC\"", "Environment=TP_NO_BUILD=1",
                "ExecStart=/opt/numatp/tp serve --model /srv/m.gguf --shards 4", "CPUAffinity=0-3,8-11",
                "NUMAPolicy=bind", "NUMAMask=0-1", "Restart=always", "LimitMEMLOCK=infinity", "LimitNOFILE=65536",
                "TimeoutStopSec=45", "[Install]", "WantedBy=multi-user.target")) {
            assertTrue(lines.contains(expected), expected + " missing in\n" + unit.render());
        }
    }

    @Test
    void withoutLocalMemoryTheProcessPrefersTheFirstPlannedNode() {
        String unit = new SystemdUnit(List.of("/opt/tp", "serve"), "numatp", "/", IdSet.range(0, 7), IdSet.of(2, 5),
                false, "", OptionalInt.empty()).render();
        assertTrue(lines(unit).contains("NUMAPolicy=preferred"), unit);
        assertTrue(lines(unit).contains("NUMAMask=2"), unit);
        assertTrue(unit.contains("# preferred takes one node; the plan also uses 5"), unit);
        assertFalse(unit.contains("TimeoutStopSec"), unit);
        assertTrue(lines(unit).contains("Environment=TP_JAVA_OPTS="), unit);
    }

    @Test
    void quotesWordsSoSystemdSplitsAndExpandsNothing() {
        assertEquals("--port", SystemdUnit.quote("--port"));
        assertEquals("\"/srv/my models/m.gguf\"", SystemdUnit.quote("/srv/my models/m.gguf"));
        assertEquals("100%%", SystemdUnit.quote("100%"));
        assertEquals("$$HOME", SystemdUnit.quote("$HOME"));
        assertEquals("\"say \\\"hi\\\" \\\\ bye\"", SystemdUnit.quote("say \"hi\" \\ bye"));
        assertEquals("\"\"", SystemdUnit.quote(""));
        assertEquals("\"TP_JAVA_OPTS=-Xmx1g -Da=$x\"", SystemdUnit.quoteSetting("TP_JAVA_OPTS=-Xmx1g -Da=$x"));
    }

    @Test
    void badUserIsAUsageError() {
        UsageException e = assertThrows(UsageException.class, () -> new SystemdUnit(List.of("/opt/tp"), "bad user",
                "/", IdSet.of(0), IdSet.of(0), true, "", OptionalInt.empty()));
        assertEquals("--unit-user must be a user name: 'bad user'", e.getMessage());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void serveFlagPrintsTheUnitForThePlanWithAbsolutePathsAndDoesNotServe() throws Exception {
        Path host = tmp.resolve("host");
        HostTree.write(host);
        Path relative = Path.of("").toAbsolutePath().relativize(host);
        Result r = tp("serve", "--shards", "2", "--port", "9090", "--topology-root", relative.toString(),
                "--print-systemd-unit", "--unit-user=svc", "--max-batch", "4");
        assertEquals(0, r.code(), r.err());
        List<String> lines = lines(r.out());
        assertTrue(lines.contains("CPUAffinity=0-3"), r.out());
        assertTrue(lines.contains("NUMAMask=0-1"), r.out());
        assertTrue(lines.contains("User=svc"), r.out());
        String exec = lines.stream().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        assertTrue(exec.endsWith(" serve --shards 2 --port 9090 --topology-root " + host.toAbsolutePath().normalize()
                + " --max-batch 4"), exec);
        assertFalse(exec.contains("--print-systemd-unit") || exec.contains("--unit-user"), exec);
        assertFalse(r.out().contains("serving"), "the server must not start: " + r.out());
    }

    @Test
    void argumentsKeepInlineValuesAndAbsolutizePaths() {
        var spec = new picocli.CommandLine(new ServeCommand()).getCommandSpec();
        List<String> args = SystemdUnitOptions.arguments(spec, List.of("--verbose", "serve", "--model=m.gguf",
                "--print-systemd-unit", "--unit-user", "serve", "--numa-prefer-local-memory", "--port", "1"));
        assertEquals(List.of("--model=" + Path.of("m.gguf").toAbsolutePath(), "--numa-prefer-local-memory", "--port",
                "1"), args);
    }

    /** systemd itself reads the unit, when systemd-analyze is installed (it is on most Linux hosts). */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void systemdAnalyzeVerifyAcceptsTheUnit() throws Exception {
        Path analyze = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "systemd-analyze")).filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(analyze != null, "systemd-analyze is not installed: the unit is checked by the"
                + " rendering tests only");
        Path host = tmp.resolve("host");
        HostTree.write(host);
        Result r = tp("serve", "--shards", "2", "--topology-root", host.toString(), "--print-systemd-unit",
                "--unit-user", System.getProperty("user.name"));
        assertEquals(0, r.code(), r.err());
        Path unit = tmp.resolve("numatp-test.service");
        Files.writeString(unit, r.out());
        Process p = new ProcessBuilder(analyze.toString(), "verify", unit.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "systemd-analyze verify did not finish");
        assertEquals(0, p.exitValue(), output);
        List<String> aboutUnit = output.lines().filter(l -> l.contains("numatp-test.service")).toList();
        assertTrue(aboutUnit.isEmpty(), "systemd-analyze complained:\n" + output + "\nunit:\n" + r.out());
    }
}
