package numatp.models.tokenizer;

import numatp.models.GgufTokenizers;
import numatp.models.SharedModels;
import numatp.weights.gguf.GgufFile;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Times loading the Llama 3 vocabulary (128256 tokens, 280147 merges): the GGUF metadata
 * parse, building the {@link BpeTokenizer} from it, and the heap the tokenizer keeps;
 * medians of several runs. Not a test: run by hand from the repository root after
 * {@code mvn -o -pl models -am test-compile}:
 *
 * <pre>
 * java -cp models/target/classes:models/target/test-classes:weights/target/classes:collectives/target/classes:topology/target/classes \
 *     -Dnumatp.shared.dir=../shared numatp.models.tokenizer.BpeLoadTiming</pre>
 */
public final class BpeLoadTiming {
    private BpeLoadTiming() {
    }

    public static void main(String[] args) {
        System.out.printf(Locale.ROOT, "load average %.1f on %d CPUs%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors());
        Path vocab = SharedModels.dir().resolve(args.length > 0 ? args[0] : "gguf-vocab/llama3-bpe-rebuilt.gguf");
        int runs = 9;
        double[] open = new double[runs];
        double[] build = new double[runs];
        double[] total = new double[runs];
        double[] cpu = new double[runs];
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        BpeTokenizer keep = null;
        for (int r = 0; r < runs; r++) {
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            try (GgufFile g = GgufFile.open(vocab)) {
                g.get("tokenizer.ggml.merges", String[].class);
                long t1 = System.nanoTime();
                keep = GgufTokenizers.bpe(g);
                long t2 = System.nanoTime();
                open[r] = (t1 - t0) / 1e6;
                build[r] = (t2 - t1) / 1e6;
                total[r] = (t2 - t0) / 1e6;
                cpu[r] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
            }
        }
        System.out.printf(Locale.ROOT, "%s: %d tokens, %d merges skipped%n", vocab.getFileName(), keep.vocabSize(),
                keep.skippedMerges());
        System.out.printf(Locale.ROOT, "first load %.1f ms (this thread's CPU %.1f ms); median of %d: GGUF parse %.1f ms,"
                + " tokenizer build %.1f ms, total %.1f ms (CPU %.1f ms)%n", total[0], cpu[0], runs, median(open),
                median(build), median(total), median(cpu));
        keep = null;
        long before = usedAfterGc();
        keep = load(vocab);
        long after = usedAfterGc();
        System.out.printf(Locale.ROOT, "heap kept by the tokenizer: %.1f MiB (%d tokens)%n",
                (after - before) / 1048576.0, keep.vocabSize());
    }

    /** In its own frame, so nothing of the GGUF file stays reachable from a stack slot. */
    private static BpeTokenizer load(Path vocab) {
        try (GgufFile g = GgufFile.open(vocab)) {
            return GgufTokenizers.bpe(g);
        }
    }

    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
