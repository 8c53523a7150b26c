package numatp.bench;

import java.nio.charset.StandardCharsets;

/** Fixed English prose for the tokenizer benchmark, written for it (no outside text). */
final class BenchText {
    private static final String PASSAGE = """
            The harbour town woke slowly on winter mornings. Fishing boats knocked against the \
            pier while gulls argued over scraps, and the baker on Quay Street opened her shutters \
            at half past six, as she had done for thirty-one years. Nobody remembered a day when \
            the smell of warm bread had not drifted down to the water.
            Mara, who was eleven and always in a hurry, ran past the bakery with her satchel \
            bouncing. She was late again. Her teacher, Mr. Okafor, had warned her twice this week, \
            and a third warning meant a letter home. "I'll take the short way," she told herself, \
            and turned into the narrow lane behind the chandlery, where the cobbles were slippery \
            and the lamps still glowed.
            Halfway down the lane she stopped. A small grey cat sat on an upturned crate, \
            watching her with enormous yellow eyes. It held something in its mouth: a brass key, \
            old and green at the edges, tied to a faded red ribbon. When Mara stepped closer, the \
            cat set the key down, blinked once, and vanished over the wall.
            She picked it up. It was heavier than it looked, and on its bow someone had scratched \
            the number 1887 and the letters H.W. Mara turned it over in her fingers, forgot all \
            about school, and began to wonder which door in the whole town it might open.
            """;

    private BenchText() {
    }

    /** The passage repeated to at most {@code maxBytes} UTF-8 bytes, cut after the last whole word. */
    static String english(int maxBytes) {
        if (maxBytes <= 0) {
            throw new BenchException("textBytes must be > 0: " + maxBytes);
        }
        StringBuilder sb = new StringBuilder(maxBytes + PASSAGE.length());
        while (sb.length() < maxBytes) {
            sb.append(PASSAGE);
        }
        byte[] utf8 = sb.toString().getBytes(StandardCharsets.US_ASCII);
        int end = Math.min(maxBytes, utf8.length);
        while (end > 0 && end < utf8.length && utf8[end] != ' ' && utf8[end] != '\n') {
            end--;
        }
        return new String(utf8, 0, end, StandardCharsets.US_ASCII);
    }
}
