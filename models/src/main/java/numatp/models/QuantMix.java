package numatp.models;

import numatp.weights.TensorType;

import java.util.Locale;

/**
 * Which encoding each matrix of a llama model gets: one type for all, or a mix of
 * llama.cpp's {@code llama-quantize} (only Q4_K_M so far). Norm vectors are always F32.
 *
 * <p>Q4_K_M, as llama.cpp's {@code llama_tensor_get_type} chooses it for a llama model that is
 * not 70B-class or a mixture of experts: {@code output.weight} Q6_K; {@code attn_v} and
 * {@code ffn_down} Q6_K on the layers where {@link #useMoreBits} holds (the first and last
 * eighth of the layers and every third one between), Q4_K elsewhere; every other matrix,
 * {@code token_embd.weight} included, Q4_K. For Llama-3-8B that is 193 Q4_K, 33 Q6_K and 65
 * F32 tensors, as in the published Q4_K_M files.
 *
 * @param name     as given on the command line: {@code Q4_K_M}, {@code Q8_0}, ...
 * @param base     the type of most matrices
 * @param moreBits attn_v and ffn_down on the layers of {@link #useMoreBits}
 * @param output   output.weight
 */
public record QuantMix(String name, TensorType base, TensorType moreBits, TensorType output) {
    public static final QuantMix Q4_K_M = new QuantMix("Q4_K_M", TensorType.Q4_K, TensorType.Q6_K, TensorType.Q6_K);

    public QuantMix {
        if (name == null || base == null || moreBits == null || output == null) {
            throw new ModelException("quantisation mix needs a name and three types: " + name);
        }
    }

    /** Every matrix {@code type}. */
    public static QuantMix uniform(TensorType type) {
        return new QuantMix(type.name(), type, type, type);
    }

    /** {@code Q4_K_M} or a {@link TensorType} name, any case; the message names {@code flag}. */
    public static QuantMix parse(String text, String flag) {
        String upper = text.toUpperCase(Locale.ROOT);
        if (upper.equals(Q4_K_M.name())) {
            return Q4_K_M;
        }
        for (TensorType t : TensorType.values()) {
            if (t.name().equals(upper)) {
                return uniform(t);
            }
        }
        throw new ModelException(flag + " must be Q4_K_M or a tensor type (" + java.util.Arrays.toString(
                TensorType.values()) + "): " + text);
    }

    /** Whether every matrix has one type (a plain {@code --type}, not a mix). */
    public boolean isUniform() {
        return base == moreBits && base == output;
    }

    /**
     * The type of tensor {@code role} ({@code attn_q}, {@code ffn_down}, ... for layer tensors,
     * {@code token_embd} or {@code output}) on layer {@code layer} of {@code layers} (ignored for
     * the others).
     */
    public TensorType typeOf(String role, int layer, int layers) {
        return switch (role) {
            case "output" -> output;
            case "attn_v", "ffn_down" -> useMoreBits(layer, layers) ? moreBits : base;
            default -> base;
        };
    }

    /** llama.cpp's rule for the layers that get more bits: first and last eighth, and every third between. */
    public static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }
}
