package numatp.models;

import numatp.models.tokenizer.Tokenizer;
import numatp.models.tp.TpEngine;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import numatp.weights.Tensor;
import numatp.weights.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticGgufTest {
    @Test
    void useMoreBitsPicksLlamaCppsLayersOfLlama3_8b() {
        Set<Integer> more = new HashSet<>();
        for (int l = 0; l < 32; l++) {
            if (QuantMix.useMoreBits(l, 32)) {
                more.add(l);
            }
        }
        // first 32/8 = 4, last 4 (28..31), and (l - 4) % 3 == 2 between: 6, 9, ..., 27
        assertEquals(Set.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31), more);
    }

    @Test
    void q4kmOfLlama3_8bCountsTheTensorTypesOfThePublishedFiles() {
        LlamaConfig c = SyntheticGguf.Shape.LLAMA3_8B.config();
        Map<TensorType, Integer> counts = new TreeMap<>();
        counts.merge(QuantMix.Q4_K_M.typeOf("token_embd", 0, c.layers()), 1, Integer::sum);
        counts.merge(QuantMix.Q4_K_M.typeOf("output", 0, c.layers()), 1, Integer::sum);
        for (int l = 0; l < c.layers(); l++) {
            for (String role : new String[] {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up",
                    "ffn_down"}) {
                counts.merge(QuantMix.Q4_K_M.typeOf(role, l, c.layers()), 1, Integer::sum);
            }
        }
        assertEquals(Map.of(TensorType.Q4_K, 193, TensorType.Q6_K, 33), counts);
    }

    @Test
    @Timeout(60)
    void tinyQ4kmFileLoadsWithItsVocabularyAndGeneratesFiniteLogits(@TempDir Path dir) {
        Path file = dir.resolve("tiny.gguf");
        LlamaConfig c = new LlamaConfig(512, 1024, 9, 4, 2, 600, 64, 500000f, 1e-5f);
        SyntheticGguf.write(c, QuantMix.Q4_K_M, 7, file);
        try (ModelTensors m = GgufModels.open(file); Arena arena = Arena.ofShared()) {
            assertEquals(c, LlamaConfig.of(m.hp()));
            assertEquals(TensorType.Q4_K, m.tensor("token_embd.weight").type());
            assertEquals(TensorType.Q6_K, m.tensor("output.weight").type());
            assertEquals(TensorType.F32, m.tensor("blk.3.ffn_norm.weight").type());
            for (int l = 0; l < c.layers(); l++) {
                TensorType expected = QuantMix.useMoreBits(l, c.layers()) ? TensorType.Q6_K : TensorType.Q4_K;
                assertEquals(expected, m.tensor("blk." + l + ".attn_v.weight").type(), "layer " + l);
                assertEquals(expected, m.tensor("blk." + l + ".ffn_down.weight").type(), "layer " + l);
                assertEquals(TensorType.Q4_K, m.tensor("blk." + l + ".ffn_up.weight").type(), "layer " + l);
            }
            for (Tensor t : m.tensors().values()) {
                for (int col = 0; col < t.cols(); col += 37) {
                    float v = t.get(t.rows() - 1, col);
                    assertTrue(Float.isFinite(v) && Math.abs(v) <= (t.type() == TensorType.F32 ? 1f : 0.05f),
                            t.name() + "[" + (t.rows() - 1) + ", " + col + "] = " + v);
                }
            }
            Tokenizer tok = GgufModels.tokenizer(file);
            assertEquals(c.vocabSize(), tok.vocabSize());
            assertArrayEquals("<0x41>".getBytes(), tok.piece(3 + 0x41));
            assertArrayEquals(" ".getBytes(), tok.piece(SyntheticGguf.FIXED_PIECES));
            assertArrayEquals("a".getBytes(), tok.piece(SyntheticGguf.FIXED_PIECES + 1));
            assertArrayEquals(" a".getBytes(), tok.piece(SyntheticGguf.FIXED_PIECES + 2));
            try (TpEngine engine = new TpEngine(m, 2, 8, new ArenaSliceAllocator(arena), null)) {
                float[][] logits = {new float[c.vocabSize()]};
                int[] prompt = tok.encode("a b", true, false);
                for (int pos = 0; pos < prompt.length; pos++) {
                    engine.step(1, new int[] {prompt[pos]}, new int[] {0}, new int[] {pos}, logits);
                }
                for (float v : logits[0]) {
                    assertTrue(Float.isFinite(v), "logit " + v);
                }
            }
        }
    }

    @Test
    void sameSeedWritesTheSameBytes(@TempDir Path dir) throws Exception {
        LlamaConfig c = SyntheticGguf.Shape.TINY.config();
        SyntheticGguf.write(c, QuantMix.Q4_K_M, 11, dir.resolve("a.gguf"));
        SyntheticGguf.write(c, QuantMix.Q4_K_M, 11, dir.resolve("b.gguf"));
        SyntheticGguf.write(c, QuantMix.Q4_K_M, 12, dir.resolve("c.gguf"));
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.gguf")), Files.readAllBytes(dir.resolve("b.gguf")));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("a.gguf")),
                Files.readAllBytes(dir.resolve("c.gguf"))));
    }

    @Test
    void wordsAreDistinctAndShapesAndMixesParseWithNamedErrors() {
        assertEquals("a", SyntheticGguf.word(0));
        assertEquals("z", SyntheticGguf.word(25));
        assertEquals("aa", SyntheticGguf.word(26));
        Set<String> seen = new HashSet<>();
        for (int n = 0; n < 70_000; n++) {
            assertTrue(seen.add(SyntheticGguf.word(n)), "word " + n);
        }
        assertEquals(SyntheticGguf.Shape.LLAMA3_8B, SyntheticGguf.Shape.parse("Llama3-8B", "--synthetic"));
        assertEquals(2048, SyntheticGguf.Shape.parse("bench-426m", "--synthetic").config().dim());
        assertEquals(QuantMix.Q4_K_M, QuantMix.parse("q4_k_m", "--type"));
        assertEquals(QuantMix.uniform(TensorType.Q8_0), QuantMix.parse("q8_0", "--type"));
        assertTrue(QuantMix.uniform(TensorType.Q8_0).isUniform());
        assertFalse(QuantMix.Q4_K_M.isUniform());
        var shape = assertThrows(ModelException.class, () -> SyntheticGguf.Shape.parse("gpt5", "--synthetic"));
        assertEquals("--synthetic must be one of [llama3-8b, bench-426m, tiny]: gpt5", shape.getMessage());
        var mix = assertThrows(ModelException.class, () -> QuantMix.parse("Q3_K_XL", "--type"));
        assertTrue(mix.getMessage().startsWith("--type must be Q4_K_M or a tensor type ("), mix.getMessage());
        var width = assertThrows(ModelException.class, () -> SyntheticGguf.writer(
                new LlamaConfig(96, 512, 1, 4, 2, 600, 64, 1e4f, 1e-5f), QuantMix.Q4_K_M, 1));
        assertTrue(width.getMessage().contains("96 columns are not whole Q4_K blocks of 256"), width.getMessage());
    }
}
