package numatp.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tp serve} as users run it: a real process, real HTTP, then SIGTERM. */
class ServeCommandTest {
    private static final Pattern URL = Pattern.compile("serving (\\S+) at (http://\\S+)");

    record Result(int code, String out, String err) {
    }

    static Result tp(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TpMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    @Timeout(120)
    void builtinModelServesThenSigtermDrainsAndExitsZero() throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), TpMain.class.getName(),
                "serve", "--port", "0", "--max-batch", "2", "--shutdown-timeout", "20", "--warmup-seconds", "1"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            Matcher serving = null;
            String line;
            while (serving == null && (line = out.readLine()) != null) {
                lines.add(line);
                Matcher m = URL.matcher(line);
                if (m.find()) {
                    serving = m;
                }
            }
            assertTrue(serving != null, "no URL line in:\n" + String.join("\n", lines));
            String all = String.join("\n", lines);
            assertTrue(all.contains("machine: ") && all.contains("placement plan:") && all.contains("weights: ")
                    && all.contains("loading weights: ") && all.contains("binding: ")
                    && all.contains("chat template: plain (numatp's own transcript)")
                    && all.contains("warming up (compiling the kernels before the first request)... "), all);
            assertEquals("numatp-synthetic", serving.group(1));
            URI base = URI.create(serving.group(2));
            assertTrue(base.getHost().equals("127.0.0.1"), base.toString());

            HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hello\",\"max_tokens\":8}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            // a random model may sample its end-of-sequence token early: any length up to 8 is right
            assertTrue(r.body().matches("(?s).*\"completion_tokens\":[0-8],.*"), r.body());

            p.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running after SIGTERM");
            while ((line = out.readLine()) != null) {
                lines.add(line);
            }
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), String.join("\n", lines));
        assertTrue(lines.contains("stopped"), String.join("\n", lines));
    }

    @Test
    void badFlagsAreUsageErrors() {
        Result batch = tp("serve", "--max-batch", "0");
        assertEquals(TpMain.EXIT_USAGE, batch.code());
        assertEquals("error: --max-batch must be >= 1: 0\n", batch.err());
        Result warmup = tp("serve", "--warmup-seconds", "-1");
        assertEquals(TpMain.EXIT_USAGE, warmup.code());
        assertTrue(warmup.err().contains("--warmup-seconds must be in [0, 3600]: -1"), warmup.err());
        Result restarts = tp("serve", "--worker-restarts", "-1");
        assertEquals(TpMain.EXIT_USAGE, restarts.code());
        assertEquals("error: --worker-restarts must be in [0, 1000]: -1\n", restarts.err());
        Result tokenizer = tp("serve", "--tokenizer", "tok.bin");
        assertEquals(TpMain.EXIT_USAGE, tokenizer.code());
        assertTrue(tokenizer.err().startsWith("error: --tokenizer needs --model"), tokenizer.err());
        Result size = tp("serve", "--max-request-bytes", "lots");
        assertEquals(TpMain.EXIT_USAGE, size.code());
        assertTrue(size.err().startsWith("error: --max-request-bytes"), size.err());
    }

    @Test
    @Timeout(60)
    void contextBeyondTheModelIsAUsageError() {
        Result r = tp("serve", "--context", "4096", "--port", "0");
        assertEquals(TpMain.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().startsWith("error: --context must be in [2, 1024]"), r.err());
    }

    @Test
    @Timeout(60)
    void badReplicaCountsAreClearErrors() throws Exception {
        Result zero = tp("serve", "--replicas", "0", "--port", "0");
        assertEquals(TpMain.EXIT_USAGE, zero.code(), zero.err());
        assertTrue(zero.err().startsWith("error: --replicas must be auto or a number of replicas >= 1: 0\n"),
                zero.err()); // then the usage hint
        Result word = tp("serve", "--replicas", "many", "--port", "0");
        assertEquals(TpMain.EXIT_USAGE, word.code(), word.err());
        assertTrue(word.err().startsWith("error: --replicas must be auto or a number of replicas >= 1: 'many'"),
                word.err());
        // a 2-node, 16-core capture: 17 replicas put 9 on a node of 8 cores
        String name = "32em64t-2n8c+dax+nvme+mic+dimms";
        var expected = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                numatp.topology.SharedCaptures.sharedTopologies().resolve(name).resolve("expected.json").toFile());
        Path root = numatp.topology.SharedCaptures.root(name, expected.get("fsroot").asText());
        Result many = tp("serve", "--replicas", "17", "--port", "0", "--warmup-seconds", "0",
                "--topology-root", root.toString());
        assertTrue(many.code() != 0, many.out());
        assertTrue(many.err().startsWith("error: --replicas 17 over 2 nodes puts 9 replicas on node "), many.err());
        assertTrue(many.err().contains("which has only 8 allowed cores: every replica needs a core of its own"),
                many.err());
        assertTrue(many.err().lines().count() == 1 || many.err().lines().allMatch(l -> l.startsWith("warning:")
                || l.startsWith("error:")), many.err()); // no stack trace
    }

    @Test
    void modelIdIsTheFileNameWithoutExtension() {
        assertEquals("stories260K", ServeCommand.modelId(Path.of("/x/stories260K.bin")));
        assertEquals("model.Q8_0", ServeCommand.modelId(Path.of("model.Q8_0.gguf")));
        assertEquals("noext", ServeCommand.modelId(Path.of("noext")));
    }
}
