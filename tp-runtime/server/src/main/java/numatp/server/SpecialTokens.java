package numatp.server;

import numatp.models.ModelFiles;
import numatp.models.tokenizer.BpeTokenizer;
import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tokenizer.TokenType;

import numatp.weights.gguf.GgufFile;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The control tokens of a vocabulary by their written form ({@code <|eot_id|>},
 * {@code <s>}, {@code [INST]} where it is one token), and how a rendered chat prompt
 * becomes tokens with them: each control token the template wrote is its id, the text
 * between them is encoded on its own (as llama.cpp tokenizes with special tokens parsed).
 *
 * <p>Only the template's own markers are special. The same strings inside a message's
 * content stay text: {@link #escape} replaces them in the content before rendering with
 * private-use sentinels ({@code U+E000} and an index), which {@link #encode} turns back
 * into their text inside the stretch they belong to. Immutable and thread-safe.
 */
public final class SpecialTokens {
    private static final String TYPES = "tokenizer.ggml.token_type";
    private static final char ESCAPE = '\uE000';
    private static final char FIRST_INDEX = '\uE001'; // index k is FIRST_INDEX + k, k < INDEXES
    private static final int INDEXES = 0xF8FF - FIRST_INDEX + 1;

    private final Map<Character, List<Special>> byFirstChar; // longest first
    private final Map<Integer, String> texts; // id -> written form
    private final String[] escapes; // escapes[k]: the text sentinel k stands for (ESCAPE itself is 0)
    private final Map<String, Integer> escapeIndexes; // escapes[k] -> k

    private record Special(String text, int id) {
    }

    private SpecialTokens(Map<String, Integer> specials) {
        this.byFirstChar = new HashMap<>();
        this.texts = new HashMap<>();
        List<String> all = new ArrayList<>();
        all.add(String.valueOf(ESCAPE));
        specials.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByKey(Comparator.comparingInt(String::length)).reversed()
                        .thenComparing(Map.Entry.comparingByValue()))
                .forEach(e -> {
                    byFirstChar.computeIfAbsent(e.getKey().charAt(0), c -> new ArrayList<>())
                            .add(new Special(e.getKey(), e.getValue()));
                    texts.putIfAbsent(e.getValue(), e.getKey());
                    all.add(e.getKey());
                });
        if (all.size() > INDEXES) {
            throw new ServeException("the vocabulary has " + specials.size() + " control tokens; numatp escapes at most "
                    + (INDEXES - 1));
        }
        this.escapes = all.toArray(new String[0]);
        this.escapeIndexes = new HashMap<>();
        for (int k = 0; k < escapes.length; k++) {
            escapeIndexes.put(escapes[k], k);
        }
    }

    /**
     * The control tokens of {@code tok}: for byte-level BPE those typed CONTROL; for
     * SentencePiece those {@code ggufTypes} (the file's {@code tokenizer.ggml.token_type},
     * null when the vocabulary did not come from it) types CONTROL, else {@code <s>} and
     * {@code </s>} as BOS and EOS.
     */
    public static SpecialTokens of(TextTokenizer tok, long[] ggufTypes) {
        Map<String, Integer> specials = new HashMap<>();
        if (tok instanceof BpeTokenizer bpe) {
            for (int id = 0; id < bpe.vocabSize(); id++) {
                if (bpe.type(id) == TokenType.CONTROL) {
                    put(specials, bpe.piece(id), id);
                }
            }
        } else if (ggufTypes != null && ggufTypes.length == tok.vocabSize()) {
            for (int id = 0; id < ggufTypes.length; id++) {
                if (ggufTypes[id] == TokenType.CONTROL) {
                    put(specials, tok.piece(id), id);
                }
            }
        } else {
            if (tok.bos() >= 0) {
                specials.put("<s>", tok.bos());
            }
            if (tok.eos() >= 0) {
                specials.put("</s>", tok.eos());
            }
        }
        return new SpecialTokens(specials);
    }

    /** {@code tokenizer.ggml.token_type} of a GGUF model, or null (not GGUF, or no such key). */
    public static long[] ggufTypes(Path model) {
        if (!ModelFiles.isGguf(model)) {
            return null;
        }
        try (GgufFile g = GgufFile.open(model)) {
            return g.metadata().containsKey(TYPES) ? g.get(TYPES, long[].class) : null;
        }
    }

    private static void put(Map<String, Integer> specials, byte[] piece, int id) {
        if (piece.length > 0) {
            specials.putIfAbsent(new String(piece, StandardCharsets.UTF_8), id);
        }
    }

    /** The written form of {@code id} if it is a control token, else "" ({@code bos_token} of a vocabulary without one). */
    String text(int id) {
        return texts.getOrDefault(id, "");
    }

    /** {@code content} with every control token's text (and U+E000) replaced by its sentinel. */
    String escape(String content) {
        StringBuilder out = null;
        int from = 0;
        for (int i = 0; i < content.length(); ) {
            int k = content.charAt(i) == ESCAPE ? 0 : escapeIndex(content, i);
            if (k < 0) {
                i++;
                continue;
            }
            if (out == null) {
                out = new StringBuilder(content.length() + 8);
            }
            out.append(content, from, i).append(ESCAPE).append((char) (FIRST_INDEX + k));
            i += escapes[k].length();
            from = i;
        }
        return out == null ? content : out.append(content, from, content.length()).toString();
    }

    private int escapeIndex(String s, int at) {
        Special sp = match(s, at);
        return sp == null ? -1 : escapeIndexes.get(sp.text());
    }

    /**
     * The tokens of {@code rendered}: control tokens the template wrote as their ids, each
     * stretch between them encoded on its own with escaped content restored; BOS in front
     * when the vocabulary adds one and the template did not write it.
     */
    int[] encode(String rendered, TextTokenizer tok) {
        PromptTokens out = new PromptTokens(tok.addsBos() && tok.bos() >= 0 && !startsWithBos(rendered, tok));
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < rendered.length(); ) {
            char c = rendered.charAt(i);
            if (c == ESCAPE && i + 1 < rendered.length()) {
                int k = rendered.charAt(i + 1) - FIRST_INDEX;
                if (k >= 0 && k < escapes.length) {
                    text.append(escapes[k]);
                    i += 2;
                    continue;
                }
            }
            Special sp = match(rendered, i);
            if (sp == null) {
                text.append(c);
                i++;
                continue;
            }
            out.text(tok, text);
            out.add(tok, sp.id());
            i += sp.text().length();
        }
        out.text(tok, text);
        return out.toArray(tok);
    }

    private boolean startsWithBos(String rendered, TextTokenizer tok) {
        Special sp = match(rendered, 0);
        return sp != null && sp.id() == tok.bos();
    }

    /** The longest control token written at {@code at}, or null. */
    private Special match(String s, int at) {
        if (at >= s.length()) {
            return null;
        }
        List<Special> candidates = byFirstChar.get(s.charAt(at));
        if (candidates == null) {
            return null;
        }
        for (Special sp : candidates) {
            if (s.startsWith(sp.text(), at)) {
                return sp;
            }
        }
        return null;
    }
}
