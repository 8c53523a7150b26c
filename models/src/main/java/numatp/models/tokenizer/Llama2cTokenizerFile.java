package numatp.models.tokenizer;

import numatp.models.ModelException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads llama2.c's {@code tokenizer.bin}: int32 max_token_length, then per token f32
 * score, int32 length and the bytes. The file does not store the vocabulary size:
 * pass the model's (token embedding rows; the file must hold exactly that many tokens,
 * as llama2.c's tokenizer.py writes it), or -1 to read to the end.
 */
public final class Llama2cTokenizerFile {
    private Llama2cTokenizerFile() {
    }

    public static Tokenizer read(Path path, int vocabSize) {
        byte[] all;
        try {
            all = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ModelException(path + ": cannot read tokenizer: " + e.getMessage(), e);
        }
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.remaining() < 4) {
            throw new ModelException(path + ": truncated tokenizer header at offset 0");
        }
        int maxLen = buf.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) {
            throw new ModelException(path + ": max_token_length at offset 0 is " + maxLen + ", expected (0, 65536]");
        }
        List<byte[]> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (vocabSize < 0 ? buf.hasRemaining() : pieces.size() < vocabSize) {
            int at = buf.position();
            if (buf.remaining() < 8) {
                throw new ModelException(path + ": truncated at token " + pieces.size() + ", offset " + at
                        + (vocabSize < 0 ? "" : " (model vocabulary has " + vocabSize + " tokens)"));
            }
            float score = buf.getFloat();
            int len = buf.getInt();
            if (len < 0 || len > maxLen || len > buf.remaining()) {
                throw new ModelException(path + ": token " + pieces.size() + " at offset " + at + " has length "
                        + len + " (max_token_length " + maxLen + ", " + buf.remaining() + " bytes left)");
            }
            byte[] p = new byte[len];
            buf.get(p);
            pieces.add(p);
            scores.add(score);
        }
        if (buf.hasRemaining()) {
            throw new ModelException(path + ": " + buf.remaining() + " bytes left at offset " + buf.position()
                    + " after " + vocabSize + " tokens: the tokenizer is longer than the model's vocabulary of "
                    + vocabSize + " (token embedding rows)");
        }
        if (pieces.size() <= Tokenizer.EOS) {
            throw new ModelException(path + ": " + pieces.size() + " tokens, expected at least " + (Tokenizer.EOS + 1)
                    + " (<unk>, BOS, EOS)");
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        return new Tokenizer(pieces.toArray(new byte[0][]), s);
    }
}
