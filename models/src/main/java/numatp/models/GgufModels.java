package numatp.models;

import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ModelTensors;

import java.nio.file.Path;

/** GGUF Llama models and vocabularies (reader in numatp.weights.gguf). */
final class GgufModels {
    private GgufModels() {
    }

    static ModelTensors open(Path path) {
        throw new ModelException(path + ": GGUF models are not supported yet");
    }

    static Tokenizer tokenizer(Path path) {
        throw new ModelException(path + ": GGUF vocabularies are not supported yet");
    }
}
