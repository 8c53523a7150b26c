package numatp.bench;

import numatp.models.GgufTokenizers;
import numatp.models.tokenizer.Llama2cTokenizerFile;
import numatp.models.tokenizer.TextTokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Encoding a fixed English text of {@code textBytes} bytes (a built-in passage repeated, cut
 * at a word) with a real vocabulary from the shared data folder:
 * <ul>
 *   <li>{@code spm-llama2}: the SentencePiece {@code Tokenizer} on Llama 2's 32000 pieces
 *       ({@code models/tokenizer.bin});</li>
 *   <li>{@code spm-tok512}: the same encoder on stories260K's 512 pieces
 *       ({@code models/tok512.bin});</li>
 *   <li>{@code bpe-llama3}: the byte-level {@code BpeTokenizer} on the Llama 3 vocabulary
 *       ({@code models/gguf-vocab/llama3-bpe-rebuilt.gguf}, pre-tokenizer {@code llama-bpe}).</li>
 * </ul>
 * The folder is {@code -Dnumatp.shared.dir=DIR}, else {@code NUMATP_SHARED_DIR}, else
 * {@code ../shared}; a missing file fails the trial with a message naming it.
 *
 * <p>Scores (throughput mode): the {@code encode} row is texts per second, the
 * {@code encode:tokens} row ({@link TokenCounter}) ids produced per second. Run:
 * {@code java -Dnumatp.shared.dir=../shared -jar bench/target/benchmarks.jar TokenizerBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TokenizerBenchmark {
    /** Which tokenizer and vocabulary (see the class comment). */
    @Param({"spm-llama2", "spm-tok512", "bpe-llama3"})
    public String tokenizer;

    /** UTF-8 bytes of text per encode call (at most; cut at the last space before). */
    @Param({"4096"})
    public int textBytes;

    private TextTokenizer encoder;
    private String text;

    @Setup(Level.Trial)
    public void setUp() {
        encoder = switch (tokenizer) {
            case "spm-llama2" -> Llama2cTokenizerFile.read(SharedFiles.require("models", "tokenizer.bin"), 32000);
            case "spm-tok512" -> Llama2cTokenizerFile.read(SharedFiles.require("models", "tok512.bin"), 512);
            case "bpe-llama3" -> GgufTokenizers.open(
                    SharedFiles.require("models", "gguf-vocab", "llama3-bpe-rebuilt.gguf"));
            default -> throw new BenchException("tokenizer must be spm-llama2, spm-tok512 or bpe-llama3: " + tokenizer);
        };
        text = BenchText.english(textBytes);
    }

    @Benchmark
    public int[] encode(TokenCounter counter) {
        int[] ids = encoder.encode(text, false, false);
        counter.tokens += ids.length;
        return ids;
    }
}
