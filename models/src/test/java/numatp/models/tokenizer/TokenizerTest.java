package numatp.models.tokenizer;

import numatp.models.ModelException;
import numatp.models.SharedModels;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerTest {
    private static Tokenizer tok512;

    /** tok512 from ../shared, read once; the calling test is skipped when the data is absent. */
    static synchronized Tokenizer tok512() {
        if (tok512 == null) {
            tok512 = Llama2cTokenizerFile.read(SharedModels.tok512(), 512);
        }
        return tok512;
    }

    static String decodeAll(Tokenizer t, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = Tokenizer.BOS;
        for (int id : ids) {
            out.writeBytes(t.decode(prev, id));
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void decodesRunCReferenceIdsToItsText() throws Exception {
        int[] ids = Arrays.stream(Files.readString(SharedModels.dir().resolve("stories260K_t0_n200.ids.txt"))
                .trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        String expected = Files.readString(SharedModels.dir().resolve("stories260K_t0_n200.expected.txt"));
        assertEquals(expected, decodeAll(tok512(), ids) + "\n");
    }

    @Test
    void encodesWithBosAndDummyPrefixAndRoundTrips() {
        String text = "Once upon a time, there was a little girl named Lily.";
        int[] ids = tok512().encode(text, true, true);
        assertEquals(Tokenizer.BOS, ids[0]);
        assertEquals(Tokenizer.EOS, ids[ids.length - 1]);
        assertEquals(text, decodeAll(tok512(), Arrays.copyOfRange(ids, 1, ids.length - 1)));
        // The reference run's first tokens are the same words: BPE must merge exactly as run.c does.
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, Arrays.copyOf(tok512().encode("Once upon a time", true, false), 5));
    }

    @Test
    void emptyPromptIsJustBos() {
        assertArrayEquals(new int[] {Tokenizer.BOS}, tok512().encode("", true, false));
    }

    @Test
    void fallsBackToByteTokensForUnknownCodePoints() {
        int[] ids = tok512().encode("\uD83E\uDD99", false, false); // U+1F999, not in the 512-token vocabulary
        // ' ' dummy prefix, then the four UTF-8 bytes as <0xF0> <0x9F> <0xA6> <0x99> (id = byte + 3).
        assertArrayEquals(new int[] {tok512().lookup(new byte[] {' '}), 0xF0 + 3, 0x9F + 3, 0xA6 + 3, 0x99 + 3}, ids);
        assertEquals("<0xF0>", new String(tok512().piece(0xF0 + 3), StandardCharsets.US_ASCII));
        // run.c prints nothing for a lone non-ASCII byte (safe_printf).
        assertEquals(0, tok512().decode(5, 0xF0 + 3).length);
    }

    @Test
    void byteFallbackBeyondASmallVocabularyIsAModelException() {
        byte[][] pieces = {b("<unk>"), b("<s>"), b("</s>"), b(" "), b("a")};
        Tokenizer tiny = new Tokenizer(pieces, new float[pieces.length]);
        assertEquals(2, tiny.encode("a", false, false).length);
        ModelException e = assertThrows(ModelException.class, () -> tiny.encode("ab", false, false));
        assertTrue(e.getMessage().contains("<0x62>"), e.getMessage());
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void largeLlamaVocabularyRoundTripsUnicode() {
        Tokenizer llama = Llama2cTokenizerFile.read(SharedModels.dir().resolve("tokenizer.bin"), 32000);
        String text = "Hello world! Äpfel und 🦙";
        int[] ids = llama.encode(text, true, false);
        assertEquals(text, decodeAllRaw(llama, ids));
    }

    /** Concatenates pieces with byte fallback but without run.c's unprintable-byte filter. */
    static String decodeAllRaw(Tokenizer t, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 1; i < ids.length; i++) {
            byte[] p = t.piece(ids[i]);
            int b = Tokenizer.byteFallback(p);
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(i == 1 && p[0] == ' ' ? Arrays.copyOfRange(p, 1, p.length) : p);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void truncatedTokenizerFileNamesFileAndOffset() throws Exception {
        Path tmp = Files.createTempFile("tok", ".bin");
        byte[] all = Files.readAllBytes(SharedModels.tok512());
        Files.write(tmp, Arrays.copyOf(all, 100));
        ModelException e = assertThrows(ModelException.class, () -> Llama2cTokenizerFile.read(tmp, 512));
        assertTrue(e.getMessage().contains(tmp.toString()) && e.getMessage().contains("offset"), e.getMessage());
    }
}
