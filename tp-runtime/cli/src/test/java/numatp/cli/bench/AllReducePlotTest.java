package numatp.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class AllReducePlotTest {
    @Test
    void writesOnePngWithBothCharts(@TempDir Path dir) throws Exception {
        List<AllReduceResult> results = List.of(
                AllReduceBench.summarize("ring", "ring", 2, 4096, new long[] {1000, 1200}, 40e9, 0),
                AllReduceBench.summarize("ring", "ring", 2, 1 << 20, new long[] {50_000, 60_000}, 40e9, 0));
        Path png = dir.resolve("plot.png");
        AllReducePlot.write(results, "allreduce, 2 shards", png);
        byte[] magic = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, magic);
    }
}
