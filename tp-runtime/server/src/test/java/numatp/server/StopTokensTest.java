package numatp.server;

import numatp.models.tokenizer.Tokenizer;
import numatp.models.tp.TpEngine;
import numatp.topology.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A request's stop tokens (a chat template's end of turn) end it like EOS: finish reason stop, their text not sent. */
@Timeout(60)
class StopTokensTest {
    @Test
    void stopTokenEndsTheSequenceBeforeItsText() throws Exception {
        int[] greedy = Arrays.stream(Files.readString(SharedData.require("models", "stories260K_t0_n200.ids.txt"))
                .trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        int k = 2; // the first token (from the third on) that did not come before: greedy decoding stops there
        while (contains(Arrays.copyOf(greedy, k), greedy[k])) {
            k++;
        }
        try (ServeFixture serve = ServeFixture.stories(1, false)) {
            Result all = generate(serve, new int[0], 12);
            Result stopped = generate(serve, new int[] {Tokenizer.EOS, greedy[k]}, 12);
            assertEquals(FinishReason.LENGTH, all.reason);
            assertEquals(12, all.completionTokens);
            assertEquals(FinishReason.STOP, stopped.reason);
            assertEquals(k, stopped.completionTokens, "stop token " + greedy[k] + " at " + k);
            assertTrue(all.text.startsWith(stopped.text), all.text + " / " + stopped.text);
            assertFalse(stopped.text.isEmpty());
            assertTrue(all.text.length() > stopped.text.length());
        }
    }

    private record Result(String text, FinishReason reason, int completionTokens) {
    }

    private static Result generate(ServeFixture serve, int[] stopTokens, int maxTokens) throws Exception {
        StringBuilder text = new StringBuilder();
        CompletableFuture<Result> done = new CompletableFuture<>();
        serve.server.scheduler().submit(new GenerationRequest(new int[] {Tokenizer.BOS}, maxTokens,
                TpEngine.Sampling.greedy(), List.of(), stopTokens), new GenerationSink() {
                    @Override
                    public void onText(String t) {
                        text.append(t);
                    }

                    @Override
                    public void onFinish(FinishReason reason, int promptTokens, int completionTokens, String errorId) {
                        done.complete(new Result(text.toString(), reason, completionTokens));
                    }
                });
        return done.get(30, TimeUnit.SECONDS);
    }

    private static boolean contains(int[] ids, int id) {
        return Arrays.stream(ids).anyMatch(t -> t == id);
    }
}
