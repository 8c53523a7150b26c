package numatp.models;

import numatp.models.tokenizer.Llama2cTokenizerFile;
import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;
import numatp.weights.WeightsException;
import numatp.weights.gguf.GgufFile;
import numatp.weights.llama2c.Llama2cCheckpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a model file by its content (GGUF magic, otherwise llama2.c) and finds its tokenizer. */
public final class ModelFiles {
    private ModelFiles() {
    }

    /** True when {@code path} starts with the GGUF magic. */
    public static boolean isGguf(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] m = in.readNBytes(4);
            return m.length == 4 && m[0] == 'G' && m[1] == 'G' && m[2] == 'U' && m[3] == 'F';
        } catch (IOException e) {
            throw new WeightsException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Maps the model's tensors. */
    public static ModelTensors open(Path model) {
        if (!Files.isRegularFile(model)) {
            throw new WeightsException(model + ": no such file");
        }
        if (isGguf(model)) {
            return GgufModels.open(model);
        }
        return Llama2cCheckpoint.load(model);
    }

    /**
     * The model's Jinja chat template ({@code tokenizer.chat_template} of a GGUF file), or
     * null: a llama2.c checkpoint, or a GGUF file without one.
     */
    public static String chatTemplate(Path model) {
        if (!isGguf(model)) {
            return null;
        }
        try (GgufFile g = GgufFile.open(model)) {
            return GgufModels.chatTemplate(g);
        }
    }

    /**
     * The tokenizer: {@code tokenizerPath} when given (llama2.c tokenizer.bin format), else
     * the GGUF file's own vocabulary, else {@code tokenizer.bin} next to a llama2.c model.
     * Its vocabulary has exactly {@code vocabSize} (the token embedding's rows) tokens, or
     * this fails naming the file, so every id it makes or decodes is a row of the model.
     */
    public static Tokenizer tokenizer(Path model, Path tokenizerPath, int vocabSize) {
        if (tokenizerPath != null) {
            return Llama2cTokenizerFile.read(tokenizerPath, vocabSize);
        }
        if (isGguf(model)) {
            Tokenizer tok = GgufModels.tokenizer(model);
            if (tok.vocabSize() != vocabSize) {
                throw new ModelException(model + ": vocabulary size " + tok.vocabSize()
                        + " does not match the model's " + vocabSize + " token embedding rows");
            }
            return tok;
        }
        Path sibling = model.toAbsolutePath().resolveSibling("tokenizer.bin");
        if (!Files.isRegularFile(sibling)) {
            throw new ModelException(model + " is a llama2.c checkpoint without a vocabulary: pass --tokenizer FILE");
        }
        return Llama2cTokenizerFile.read(sibling, vocabSize);
    }

    /**
     * Like {@link #tokenizer}, but a GGUF vocabulary of any supported model type
     * ({@code llama} SentencePiece or {@code gpt2} byte-level BPE, see
     * {@link GgufTokenizers}); llama2.c vocabularies as before.
     */
    public static TextTokenizer textTokenizer(Path model, Path tokenizerPath, int vocabSize) {
        if (tokenizerPath == null && isGguf(model)) {
            return GgufTokenizers.open(model);
        }
        return tokenizer(model, tokenizerPath, vocabSize);
    }
}
