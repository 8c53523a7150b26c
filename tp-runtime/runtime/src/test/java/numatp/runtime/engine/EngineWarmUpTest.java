package numatp.runtime.engine;

import numatp.collectives.Communicator;
import numatp.collectives.shm.ThreadTransport;
import numatp.models.LlamaConfig;
import numatp.models.ModelFiles;
import numatp.models.tp.TpEngine;
import numatp.runtime.config.NumaTensorParallelConfig;
import numatp.runtime.engine.Engines;
import numatp.topology.SharedData;
import numatp.weights.ArenaSliceAllocator;
import numatp.weights.ModelTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-up runs through the batched engine and leaves no trace in what it generates next. */
class EngineWarmUpTest {

    @Test
    @Timeout(120)
    void warmedEngineGeneratesExactlyWhatAFreshOneDoes() {
        List<Integer> fresh = greedy(false);
        List<Integer> warmed = greedy(true);
        assertEquals(fresh, warmed);
        assertEquals(40, fresh.size());
    }

    @Test
    @Timeout(60)
    void zeroSecondsRunsNothing() {
        try (Arena arena = Arena.ofShared(); ModelTensors model = ModelFiles.open(SharedData.require("models", "stories260K.bin"));
             TpEngine engine = engine(model, arena)) {
            EngineWarmUp.Result r = EngineWarmUp.run(engine, 0);
            assertEquals(0, r.rounds());
            assertEquals(0, engine.counters().steps());
        }
    }

    /** 40 greedy tokens in slot 2 after BOS (slot 2 is also used by the warm-up's batched step). */
    private static List<Integer> greedy(boolean warm) {
        try (Arena arena = Arena.ofShared(); ModelTensors model = ModelFiles.open(SharedData.require("models", "stories260K.bin"));
             TpEngine engine = engine(model, arena)) {
            if (warm) {
                EngineWarmUp.Result r = EngineWarmUp.run(engine, 0.5);
                assertTrue(r.rounds() >= 1 && engine.counters().steps() >= 3, r.toString());
            }
            int vocab = engine.config().vocabSize();
            float[][] logits = {new float[vocab]};
            int token = 1;
            List<Integer> out = new ArrayList<>();
            for (int pos = 0; pos < 40; pos++) {
                engine.step(1, new int[] {token}, new int[] {2}, new int[] {pos}, logits);
                int best = 0;
                for (int v = 1; v < vocab; v++) {
                    best = logits[0][v] > logits[0][best] ? v : best;
                }
                out.add(best);
                token = best;
            }
            return out;
        }
    }

    private static TpEngine engine(ModelTensors model, Arena arena) {
        LlamaConfig c = LlamaConfig.of(model.hp());
        Communicator[] comms = ThreadTransport.create(new int[2],
                CollectiveSettings.of(NumaTensorParallelConfig.ofShards(2))).toArray(new Communicator[0]);
        return new TpEngine(model, 2, new TpEngine.Capacity(4, c.contextLength(), 4 + Engines.PREFILL_CHUNK),
                new ArenaSliceAllocator(arena), comms);
    }
}
