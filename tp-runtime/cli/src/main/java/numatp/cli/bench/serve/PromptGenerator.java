package numatp.cli.bench.serve;

import java.util.SplittableRandom;

/**
 * Seeded prompts of common English words. Request {@code i} of a run with seed
 * {@code s} always gets the same text, so two runs (say unpinned and pinned) send the
 * same work. One common word is about one token for the usual BPE vocabularies; the
 * benchmark corrects that with the server's own count ({@code usage.prompt_tokens})
 * from the warm-up requests, see {@link #wordsFor}.
 */
public final class PromptGenerator {
    private static final String[] WORDS = (
            "the a and to of in was he she it they we you one day little big cat dog bird tree house park ball "
                    + "friend mom dad girl boy sun sky water fish boat car toy book cake apple red blue green happy sad "
                    + "play run jump see look find help make went came said saw had wanted liked loved walked talked "
                    + "smiled laughed ran played found gave took got asked thought knew felt time good new old small "
                    + "long very too so then when after before with for on at by up down out over under into from "
                    + "this that there here all some many every each other more most best nice kind funny brave "
                    + "garden forest river hill road town school door window room bed chair table cup box hat shoe "
                    + "flower grass rain snow wind star moon night morning today always never again together because "
                    + "but not did could would should can will about what who where why how yes no please thank")
            .split(" ");
    /** A sentence ends after this many words, so the text looks like prose to a chat template. */
    private static final int WORDS_PER_SENTENCE = 12;

    private final long seed;

    public PromptGenerator(long seed) {
        this.seed = seed;
    }

    /** The prompt of request {@code index}: {@code words} words in sentences. */
    public String prompt(long index, int words) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        StringBuilder text = new StringBuilder(words * 6);
        for (int w = 0; w < words; w++) {
            String word = WORDS[random.nextInt(WORDS.length)];
            boolean sentenceStart = w % WORDS_PER_SENTENCE == 0;
            if (w > 0) {
                text.append(sentenceStart ? ". " : " ");
            }
            if (sentenceStart) {
                text.append(Character.toUpperCase(word.charAt(0))).append(word, 1, word.length());
            } else {
                text.append(word);
            }
        }
        return text.append('.').toString();
    }

    /**
     * Words to send for about {@code promptTokens} tokens when the server counted
     * {@code countedTokens} for a prompt of {@code sentWords} words (at least one word;
     * {@code countedTokens <= 0} means no count: one word per token).
     */
    public static int wordsFor(int promptTokens, int sentWords, int countedTokens) {
        if (countedTokens <= 0 || sentWords <= 0) {
            return promptTokens;
        }
        double tokensPerWord = (double) countedTokens / sentWords;
        return Math.max(1, (int) Math.round(promptTokens / tokensPerWord));
    }
}
