package numatp.cli;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Writes token bytes to a character stream as UTF-8, holding back a multi-byte
 * sequence split across tokens until it is complete (run.c writes raw bytes).
 */
final class Utf8Output {
    private final PrintWriter out;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer pending = ByteBuffer.allocate(64);
    private final CharBuffer chars = CharBuffer.allocate(256);

    Utf8Output(PrintWriter out) {
        this.out = out;
    }

    void write(byte[] bytes) {
        int i = 0;
        while (i < bytes.length) {
            int n = Math.min(pending.remaining(), bytes.length - i);
            pending.put(bytes, i, n);
            i += n;
            drain(false);
        }
        out.flush();
    }

    private void drain(boolean end) {
        pending.flip();
        while (true) {
            var result = decoder.decode(pending, chars, end);
            chars.flip();
            out.append(chars);
            chars.clear();
            if (!result.isOverflow()) {
                break;
            }
        }
        pending.compact();
    }

    void finish() {
        drain(true);
        decoder.flush(chars);
        chars.flip();
        out.append(chars);
        chars.clear();
        decoder.reset();
        out.flush();
    }
}
