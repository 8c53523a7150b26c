package numatp.models.tokenizer;

import numatp.models.GgufModels;
import numatp.models.SharedModels;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times {@link Tokenizer#encode} against its naive twin {@link RunCEncoder} on prompts of
 * about 500, 2000 and 8000 tokens of the GGUF Llama vocabulary (English stories and
 * llama.cpp's multilingual test vectors), median of several runs. Not a test: run by hand,
 * from the repository root, after {@code mvn -o -pl models -am test-compile}:
 *
 * <pre>
 * java -cp models/target/classes:models/target/test-classes:weights/target/classes:collectives/target/classes:topology/target/classes \
 *     -Dnumatp.shared.dir=../shared numatp.models.tokenizer.EncodeTiming [tokens...]</pre>
 */
public final class EncodeTiming {
    private EncodeTiming() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {500, 2000, 8000}
                : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        Path vocab = SharedModels.dir().resolve("gguf-vocab/ggml-vocab-llama-spm.gguf");
        long t0 = System.nanoTime();
        Tokenizer tok = GgufModels.tokenizer(vocab);
        System.out.printf(Locale.ROOT, "vocabulary: %s, %d tokens, loaded in %.1f ms%n", vocab.getFileName(),
                tok.vocabSize(), (System.nanoTime() - t0) / 1e6);
        byte[][] pieces = new byte[tok.vocabSize()][];
        float[] scores = new float[tok.vocabSize()];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = tok.piece(i);
            scores[i] = tok.score(i);
        }
        System.out.printf(Locale.ROOT, "new Tokenizer(pieces, scores): %.3f ms%n",
                medianMs(() -> new Tokenizer(pieces, scores), 11, 5));
        RunCEncoder naive = new RunCEncoder(tok);
        String corpus = corpus(vocab);
        for (int target : sizes) {
            String text = prefixOfAbout(tok, corpus, target);
            int tokens = tok.encode(text, true, false).length;
            if (!Arrays.equals(tok.encode(text, true, false), naive.encode(text, true, false))) {
                throw new AssertionError("fast and naive encoders disagree on the " + target + "-token text");
            }
            double fast = medianMs(() -> tok.encode(text, true, false), 31, 50);
            double slow = medianMs(() -> naive.encode(text, true, false), target >= 8000 ? 3 : 7, 2);
            System.out.printf(Locale.ROOT, "%5d tokens (%6d bytes): Tokenizer.encode %9.3f ms, run.c twin %10.3f ms%n",
                    tokens, text.getBytes(StandardCharsets.UTF_8).length, fast, slow);
        }
    }

    private static double medianMs(Runnable r, int runs, int warmups) {
        for (int i = 0; i < warmups; i++) {
            r.run();
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return ms[runs / 2];
    }

    /** Stories and test vectors, repeated until long enough for the largest prompt. */
    private static String corpus(Path vocab) throws Exception {
        List<String> parts = new ArrayList<>();
        parts.add(Files.readString(SharedModels.dir().resolve("stories260K_t0_n200.expected.txt")));
        String inp = Files.readString(Path.of(vocab + ".inp"), StandardCharsets.UTF_8);
        parts.addAll(Arrays.asList(inp.split("\n__ggml_vocab_test__\n")));
        StringBuilder out = new StringBuilder();
        for (int i = 0; out.length() < 200_000; i++) {
            out.append(parts.get(i % parts.size())).append('\n');
        }
        return out.toString();
    }

    /** The prefix of {@code corpus} (cut at a code point) whose encoding has about {@code tokens} tokens. */
    private static String prefixOfAbout(Tokenizer tok, String corpus, int tokens) {
        int sample = Math.min(corpus.length(), 4000);
        double charsPerToken = (double) sample / tok.encode(corpus.substring(0, sample), false, false).length;
        String text = "";
        for (int i = 0; i < 2; i++) { // the ratio of the sample, then of the first cut
            int end = (int) Math.min(corpus.length(), Math.round(tokens * charsPerToken));
            if (Character.isHighSurrogate(corpus.charAt(end - 1))) {
                end--;
            }
            text = corpus.substring(0, end);
            charsPerToken = (double) end / tok.encode(text, false, false).length;
        }
        return text;
    }
}
