package numatp.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static numatp.cli.PlanCommandTest.tp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvertCommandTest {
    @Test
    @Timeout(120)
    void syntheticTinyQ4kmFileLoadsAndGeneratesOnTwoShardsWithALoadLine(@TempDir Path dir) {
        Path file = dir.resolve("tiny.gguf");
        PlanCommandTest.Result w = tp("convert", "--synthetic", "tiny", "--layers", "3", "--type", "q4_k_m",
                "--output", file.toString());
        assertEquals(0, w.code(), w.err());
        assertTrue(w.err().contains("(synthetic tiny, 3 layers, Q4_K_M, "), w.err());
        assertTrue(Files.exists(file));
        PlanCommandTest.Result g = tp("generate", "--model", file.toString(), "--shards", "2", "--steps", "3",
                "--temperature", "0", "--warmup-seconds", "0");
        assertEquals(0, g.code(), g.err());
        String load = g.err().lines().filter(l -> l.startsWith("load: open ")).findFirst().orElse("");
        assertTrue(load.matches("load: open [0-9.]+ s; shard threads [0-9.]+ s; weights to (node )?memory"
                + " [0-9.]+ MiB in [0-9.]+ s \\([0-9.]+ GB/s(, CPU [0-9.]+ s)?\\); total [0-9.]+ s"), g.err());
    }

    @Test
    void badSyntheticFlagsAreUsageErrors(@TempDir Path dir) {
        String out = dir.resolve("x.gguf").toString();
        PlanCommandTest.Result shape = tp("convert", "--synthetic", "gpt5", "--output", out);
        assertEquals(TpMain.EXIT_USAGE, shape.code());
        assertEquals("error: --synthetic must be one of [llama3-8b, bench-426m, tiny]: gpt5\n", shape.err());
        PlanCommandTest.Result both = tp("convert", "--synthetic", "tiny", "--model", "m.bin", "--output", out);
        assertEquals(TpMain.EXIT_USAGE, both.code());
        assertTrue(both.err().startsWith("error: give exactly one of --model FILE and --synthetic SHAPE"), both.err());
        PlanCommandTest.Result mix = tp("convert", "--model", "m.bin", "--type", "Q4_K_M", "--output", out);
        assertEquals(TpMain.EXIT_USAGE, mix.code());
        assertTrue(mix.err().startsWith("error: --type Q4_K_M is a mix of types, only for --synthetic"), mix.err());
        PlanCommandTest.Result layers = tp("convert", "--synthetic", "tiny", "--layers", "0", "--output", out);
        assertEquals(TpMain.EXIT_USAGE, layers.code());
        assertTrue(layers.err().startsWith("error: --layers must be in [1, 1024]: 0"), layers.err());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }
}
