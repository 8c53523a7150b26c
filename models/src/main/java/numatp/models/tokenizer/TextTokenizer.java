package numatp.models.tokenizer;

/**
 * What the engine and the server need from a vocabulary: text to token ids and back,
 * and which ids begin and end a sequence. Implemented by {@link Tokenizer}
 * (SentencePiece-style, llama2.c and GGUF {@code llama}) and {@link BpeTokenizer}
 * (byte-level BPE, GGUF {@code gpt2}). Implementations are immutable and thread-safe.
 */
public interface TextTokenizer {
    int vocabSize();

    /**
     * The bytes {@code id} stands for in the vocabulary's own spelling (SentencePiece:
     * the raw piece, {@code <0xXX>} included; BPE: what the token decodes to). Never
     * allocates; the caller must not write to it.
     */
    byte[] piece(int id);

    /** The id whose {@link #piece} equals {@code piece}, or -1. */
    int lookup(byte[] piece);

    /**
     * The tokens of {@code text}. {@code bos}: the text begins a sequence, so BOS goes in
     * front where the vocabulary adds one ({@link #addsBos}); {@code eos} likewise at
     * the end. Control tokens written in the text are not parsed: they stay text.
     */
    int[] encode(String text, boolean bos, boolean eos);

    /** The bytes to print for {@code token} following {@code prev}; never allocates. */
    byte[] decode(int prev, int token);

    /** The id that begins a sequence, or -1 when the vocabulary has none. */
    int bos();

    /** The id that ends a sequence, or -1 when the vocabulary has none. */
    int eos();

    /** Whether {@link #encode} with {@code bos} puts {@link #bos} in front. */
    boolean addsBos();

    /** Whether generating {@code id} ends the reply: EOS, end-of-turn and the like. */
    boolean isEndOfGeneration(int id);
}
