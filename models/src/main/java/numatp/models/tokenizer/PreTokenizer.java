package numatp.models.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words a byte-level BPE vocabulary merges inside, by the regular
 * expressions its {@code tokenizer.ggml.pre} names, applied as llama.cpp applies them:
 * each expression splits every piece the previous one left, and both its matches and
 * the text between them become pieces; a lookahead never sees past the piece, and
 * {@code \z} is the piece's end.
 *
 * <p>Whitespace: llama.cpp treats every Unicode White_Space character above U+007F as
 * {@code \v}, so {@code \s} means the ASCII whitespace plus those; this class matches
 * against a copy of the text with those characters replaced by {@code \u000B}. The
 * categories {@code \p{L}}, {@code \p{N}}, {@code \p{P}} are Java's (Unicode 16);
 * llama.cpp's tables may differ on characters assigned since its Unicode version.
 */
public enum PreTokenizer {
    /** GPT-2, MPT, OLMo: contractions, letters, digits, other symbols, each with one leading space. */
    GPT2(false, false, Exprs.GPT2),
    /** Llama 3: case-insensitive contractions, up to 3 digits, newlines kept apart; whole-word tokens skip merging. */
    LLAMA3(true, true, Exprs.LLAMA3),
    /** DBRX and Smaug: Llama 3's expression, merges as usual. */
    DBRX(false, false, Exprs.LLAMA3),
    /** Qwen2 (and DeepSeek-R1 distilled on it): Llama 3's expression with single digits. */
    QWEN2(false, false, Exprs.QWEN2),
    /** DeepSeek LLM: newlines, Latin/Greek/Cyrillic... letter runs, ASCII/CJK punctuation, trailing space, CJK, digits. */
    DEEPSEEK_LLM(false, false, "[\\r\\n]",
            "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295"
                    + "-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E"
                    + "-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5"
                    + "\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00"
                    + "-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F"
                    + "-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6"
                    + "-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119"
                    + "-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149"
                    + "\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D"
                    + "\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13"
                    + "-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\uD801\uDC00-\uD801\uDC4F\uD801\uDCB0-\uD801\uDCD3"
                    + "\uD801\uDCD8-\uD801\uDCFB\uD803\uDC80-\uD803\uDCB2\uD803\uDCC0-\uD803\uDCF2\uD806\uDCA0"
                    + "-\uD806\uDCDF\uD83A\uDD00-\uD83A\uDD43]+",
            "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+", "\\s+\\z", "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+", "\\p{N}+"),
    /** DeepSeek Coder: newlines, letter runs, punctuation runs, CJK, single digits. */
    DEEPSEEK_CODER(false, false, "[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+", "\\p{N}"),
    /** Falcon: punctuation runs first, then GPT-2's expression, then groups of three ASCII digits. */
    FALCON(false, false, "[\\p{P}\\$\\+<=>\\^~\\|`]+", Exprs.GPT2, "[0-9][0-9][0-9]"),
    /** StarCoder, Refact, Command-R, SmolLM: single digits, then GPT-2's expression. */
    STARCODER(false, false, "\\p{N}", Exprs.GPT2),
    /** llama.cpp's default for BPE vocabularies that name no known pre-tokenizer. */
    DEFAULT(false, false, "[\\p{P}\\$\\+<=>\\^~\\|]+", Exprs.GPT2, "\\p{N}+", "[0-9][0-9][0-9]");

    /** {@code tokenizer.ggml.pre} values and what they select, as llama.cpp reads them. */
    private static final Map<String, PreTokenizer> BY_NAME = Map.ofEntries(
            Map.entry("default", DEFAULT),
            Map.entry("llama3", LLAMA3), Map.entry("llama-v3", LLAMA3), Map.entry("llama-bpe", LLAMA3),
            Map.entry("falcon3", LLAMA3), Map.entry("falcon-h1", LLAMA3), Map.entry("pixtral", LLAMA3),
            Map.entry("dbrx", DBRX), Map.entry("smaug-bpe", DBRX),
            Map.entry("qwen2", QWEN2), Map.entry("deepseek-r1-qwen", QWEN2), Map.entry("stablelm2", QWEN2),
            Map.entry("deepseek-llm", DEEPSEEK_LLM), Map.entry("deepseek-coder", DEEPSEEK_CODER),
            Map.entry("falcon", FALCON),
            Map.entry("gpt-2", GPT2), Map.entry("phi-2", GPT2), Map.entry("mpt", GPT2), Map.entry("olmo", GPT2),
            Map.entry("jais", GPT2), Map.entry("roberta-bpe", GPT2),
            Map.entry("starcoder", STARCODER), Map.entry("refact", STARCODER), Map.entry("command-r", STARCODER),
            Map.entry("smollm", STARCODER), Map.entry("codeshell", STARCODER), Map.entry("exaone", STARCODER));

    private final boolean ignoreMerges;
    private final boolean addsBosByDefault;
    private final List<Pattern> patterns;

    PreTokenizer(boolean ignoreMerges, boolean addsBosByDefault, String... exprs) {
        this.ignoreMerges = ignoreMerges;
        this.addsBosByDefault = addsBosByDefault;
        this.patterns = Arrays.stream(exprs).map(Pattern::compile).toList();
    }

    /** The pre-tokenizer {@code tokenizer.ggml.pre} names, or null when numatp does not know it. */
    public static PreTokenizer forName(String pre) {
        return BY_NAME.get(pre);
    }

    /** The names {@link #forName} knows, sorted: for error messages. */
    public static List<String> names() {
        return BY_NAME.keySet().stream().sorted().toList();
    }

    /** Whether a word that is a token as a whole becomes that token without merging (Llama 3). */
    public boolean ignoresMerges() {
        return ignoreMerges;
    }

    /** Whether llama.cpp adds BOS when the file has no {@code tokenizer.ggml.add_bos_token}. */
    public boolean addsBosByDefault() {
        return addsBosByDefault;
    }

    /**
     * The words of {@code text[from, to)} as boundaries: word {@code i} is
     * {@code [b[i], b[i + 1])}, the first boundary is {@code from} and the last {@code to};
     * no word is empty. {@code b.length - 1} words (none when from == to).
     */
    public int[] split(String text, int from, int to) {
        if (from == to) {
            return new int[] {from};
        }
        String matched = asciiWhitespace(text);
        int[] cur = {from, to};
        int curLen = 2;
        int[] next = new int[8];
        for (Pattern p : patterns) {
            Matcher m = p.matcher(matched);
            int n = 0;
            next[n++] = from;
            for (int k = 0; k + 1 < curLen; k++) {
                int end = cur[k + 1];
                int last = cur[k];
                m.region(last, end);
                while (m.find()) {
                    if (m.end() == m.start()) {
                        continue; // an empty match makes no word
                    }
                    if (next.length < n + 2) {
                        next = Arrays.copyOf(next, next.length * 2);
                    }
                    if (m.start() > last) {
                        next[n++] = m.start();
                    }
                    next[n++] = m.end();
                    last = m.end();
                }
                if (last < end) {
                    if (next.length < n + 1) {
                        next = Arrays.copyOf(next, next.length * 2);
                    }
                    next[n++] = end;
                }
            }
            int[] t = cur;
            cur = next;
            curLen = n;
            next = t.length >= 8 ? t : new int[8];
        }
        return Arrays.copyOf(cur, curLen);
    }

    /** {@code text} with each White_Space character above U+007F replaced by {@code \v}, as llama.cpp matches it. */
    static String asciiWhitespace(String text) {
        char[] cs = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c > 0x7F && isWhiteSpace(c)) {
                if (cs == null) {
                    cs = text.toCharArray();
                }
                cs[i] = '\u000B';
            }
        }
        return cs == null ? text : new String(cs);
    }

    /** Unicode's White_Space property above U+007F (all of it is in the BMP). */
    static boolean isWhiteSpace(char c) {
        return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029
                || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** Expressions shared by several pre-tokenizers. */
    private static final class Exprs {
        static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
        static final String CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
        static final String LLAMA3 = CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        static final String QWEN2 = CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    }
}
