package numatp.server;

import numatp.models.tokenizer.TextTokenizer;

import java.util.Arrays;

/**
 * A chat prompt's tokens as they are built: stretches of text, each encoded on its own,
 * and single token ids between them. BOS, when asked for, goes in front inside the first
 * stretch's encoding, so run.c's merges see it as {@code encode(text, true, false)} does.
 */
final class PromptTokens {
    private int[] ids = new int[32];
    private int n;
    private boolean bosPending;

    PromptTokens(boolean bos) {
        this.bosPending = bos;
    }

    /** Encodes and appends {@code text}, then clears it. */
    void text(TextTokenizer tokenizer, StringBuilder text) {
        if (text.isEmpty()) {
            return;
        }
        for (int id : tokenizer.encode(text.toString(), bosPending, false)) {
            append(id);
        }
        bosPending = false;
        text.setLength(0);
    }

    void add(TextTokenizer tokenizer, int id) {
        flushBos(tokenizer);
        append(id);
    }

    int[] toArray(TextTokenizer tokenizer) {
        flushBos(tokenizer);
        return Arrays.copyOf(ids, n);
    }

    private void flushBos(TextTokenizer tokenizer) {
        if (bosPending) {
            bosPending = false;
            append(tokenizer.bos());
        }
    }

    private void append(int id) {
        if (n == ids.length) {
            ids = Arrays.copyOf(ids, n * 2);
        }
        ids[n++] = id;
    }
}
