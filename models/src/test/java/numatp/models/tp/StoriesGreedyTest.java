package numatp.models.tp;

import numatp.models.LlamaConfig;
import numatp.models.SharedModels;
import numatp.models.tokenizer.Llama2cTokenizerFile;
import numatp.models.tokenizer.Tokenizer;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import numatp.weights.llama2c.Llama2cCheckpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** stories260K greedy, 200 positions: the ids and text of llama2.c's run.c, for every shard count. */
class StoriesGreedyTest {
    static ModelTensors model;
    static Tokenizer tokenizer;
    static int[] expectedIds;
    static String expectedText;

    @BeforeAll
    static void load() throws Exception {
        model = Llama2cCheckpoint.load(SharedModels.stories());
        tokenizer = Llama2cTokenizerFile.read(SharedModels.tok512(), model.hp().vocabSize());
        expectedIds = Arrays.stream(Files.readString(SharedModels.dir().resolve("stories260K_t0_n200.ids.txt"))
                .trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        expectedText = Files.readString(SharedModels.dir().resolve("stories260K_t0_n200.expected.txt"));
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @ParameterizedTest(name = "shards={0}")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    @Timeout(60)
    void greedyMatchesRunCForEveryShardCount(int shards) {
        LlamaConfig c = LlamaConfig.of(model.hp());
        List<Integer> ids = new ArrayList<>();
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (Arena arena = Arena.ofShared();
             TpEngine engine = new TpEngine(model, shards, c.contextLength(), new ArenaSliceAllocator(arena), null)) {
            TpEngine.Stats stats = engine.generate(new int[] {Tokenizer.BOS}, 200,
                    new TpEngine.Sampling(0f, 0.9f, 0, 1), (prev, next) -> {
                        ids.add(next);
                        text.writeBytes(tokenizer.decode(prev, next));
                    });
            assertEquals(200, stats.promptTokens() + stats.decodeTokens());
        }
        assertArrayEquals(expectedIds, ids.stream().mapToInt(Integer::intValue).toArray(), "ids, shards=" + shards);
        assertEquals(expectedText, text.toString(StandardCharsets.UTF_8) + "\n", "text, shards=" + shards);
    }
}
