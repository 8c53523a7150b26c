package numatp.cli.numavm;

import numatp.topology.numavm.NumaVm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tp bind --apply} with the seed's process and thread names in real multi-node guests
 * (QEMU): 2 nodes (one per socket, 2 CPUs each) and 4 nodes (2 sockets of 2 nodes, 1 CPU each, as
 * the seed's A3 dies). Two instances (scheduler, worker with forward/prefill/decode threads,
 * rpc_proxy) and a Motor; {@link BindCommandProbe} checks every thread and the anonymous pages
 * from the guest's /proc with its own reading. The Markdown report lands in
 * {@code target/numa-vm/bind-report-Nnode.md}, with what tp topology, tp doctor and tp bind printed.
 */
@Tag("numa-vm")
@Timeout(value = 1200, unit = TimeUnit.SECONDS)
class NumaVmBindCommandTest {
    @Test
    void twoNodesOneSocketEach() throws Exception {
        Map<String, String> probe = run(2, List.of("-n", "2", "-c", "2", "-m", "384"), Map.of());
        assertTrue(probe.get("sockets").equals("[[0], [1]]"), probe.get("sockets"));
    }

    @Test
    void fourNodesTwoSocketsOfTwoForwardThreadsOnTheSecondNode() throws Exception {
        Map<String, String> probe = run(4, List.of("-n", "4", "-c", "1", "-m", "256"),
                Map.of("QEMU_SMP", "4,sockets=2,cores=2,threads=1"));
        assertEquals("[[0, 1], [2, 3]]", probe.get("sockets"));
        assertTrue(probe.get("thread").contains("(forward-0) wanted 1 got 1 match"), probe.get("thread"));
        assertTrue(probe.get("thread").contains("(decode-1) wanted 3 got 3 match"), probe.get("thread"));
    }

    private static Map<String, String> run(int nodes, List<String> vmOptions, Map<String, String> env)
            throws Exception {
        NumaVm.assumeAvailable();
        Path target = Path.of(NumaVm.codeSource(BindCommandProbe.class)).getParent();
        Path report = target.resolve("numa-vm").resolve("bind-report-" + nodes + "node.md");
        Files.deleteIfExists(report);
        List<String> classpath = testClasspath();
        NumaVm.Result result = NumaVm.runMain(vmOptions, env, classpath, BindCommandProbe.class.getName(), "",
                List.of(report.toString(), String.join(":", classpath), Integer.toString(nodes)), 600);
        System.out.println(result.output());
        result.assertRanToTheEnd();
        Map<String, String> probe = result.probe();
        assertEquals("0", probe.get("tpExit"), result.output());
        assertEquals("0", probe.get("mismatches"), result.output());
        assertTrue(Integer.parseInt(probe.get("threadsChecked")) > 20, result.output());
        // private anonymous memory (heap, stacks) moved; a handful of pages in flight may miss the move
        long anon = Long.parseLong(probe.get("anonPages"));
        long off = Long.parseLong(probe.get("anonOffPlannedNodes"));
        assertTrue(anon > 8 * 256 && off * 100 <= anon, off + " of " + anon + " anonymous pages off the planned nodes\n"
                + result.output());
        assertTrue(probe.get("tp").contains("verified: every live thread runs on its planned CPUs"), result.output());
        String md = Files.readString(report);
        assertTrue(md.contains("## Verified"), md);
        assertTrue(md.lines().noneMatch(l -> l.matches("\\| \\d+ \\| \\d+ \\| .*\\| mismatch \\|")),
                "a thread off its CPUs in the report\n" + md); // memory rows may say mismatch: libraries stay
        assertTrue(md.contains("pages; off them: /usr/lib/"), "the libraries that stayed are named\n" + md);
        return probe;
    }

    /** This test JVM's class path, read through surefire's manifest-only jar when it uses one. */
    private static List<String> testClasspath() throws IOException {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.endsWith(".jar") && Path.of(entry).getFileName().toString().startsWith("surefirebooter")) {
                try (JarFile jar = new JarFile(entry)) {
                    String cp = jar.getManifest().getMainAttributes().getValue("Class-Path");
                    for (String url : cp.split(" ")) {
                        if (!url.isBlank()) {
                            entries.add(Path.of(URI.create(url)).toString());
                        }
                    }
                }
            } else {
                entries.add(entry);
            }
        }
        return entries.stream().filter(e -> !e.contains("surefire") && !e.contains("junit")
                && !e.contains("opentest4j") && !e.contains("apiguardian")).distinct().toList();
    }
}
