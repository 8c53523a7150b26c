package numatp.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The naive twin of {@link BpeTokenizer}'s merging: on strings in GPT-2's byte-to-character
 * spelling, rescan every adjacent pair and merge the one of lowest rank (the leftmost of
 * equal ones) until none merges, then look each symbol up. Quadratic; no special tokens.
 */
final class NaiveBpe {
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();
    private final PreTokenizer pre;

    NaiveBpe(String[] tokens, String[] merges, PreTokenizer pre) {
        for (int i = 0; i < tokens.length; i++) {
            ids.put(tokens[i], i);
        }
        for (int r = 0; r < merges.length; r++) {
            ranks.putIfAbsent(merges[r], r);
        }
        this.pre = pre;
    }

    List<Integer> encode(String text) {
        List<Integer> out = new ArrayList<>();
        int[] b = pre.split(text, 0, text.length());
        for (int w = 0; w + 1 < b.length; w++) {
            String word = ByteUnicode.encode(text.substring(b[w], b[w + 1]).getBytes(StandardCharsets.UTF_8));
            if (pre.ignoresMerges() && ids.containsKey(word)) {
                out.add(ids.get(word));
                continue;
            }
            List<String> sym = new ArrayList<>();
            word.chars().forEach(c -> sym.add(String.valueOf((char) c)));
            while (true) {
                int best = -1;
                int bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < sym.size(); i++) {
                    Integer r = ranks.get(sym.get(i) + " " + sym.get(i + 1));
                    if (r != null && r < bestRank) {
                        bestRank = r;
                        best = i;
                    }
                }
                if (best < 0) {
                    break;
                }
                sym.set(best, sym.get(best) + sym.remove(best + 1));
            }
            for (String s : sym) {
                Integer id = ids.get(s);
                if (id != null) {
                    out.add(id);
                }
            }
        }
        return out;
    }
}
