package numatp.runtime.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code replicas} and {@code expectedConcurrency} in the JSON form, the builder and toBuilder. */
@Timeout(10)
class ReplicaConfigJsonTest {
    @Test
    void replicasAndConcurrencySurviveJsonAndToBuilder() {
        for (int replicas : new int[] {NumaTensorParallelConfig.AUTO_REPLICAS, 1, 2, 7}) {
            NumaTensorParallelConfig config = NumaTensorParallelConfig.builder().shards(3).replicas(replicas)
                    .expectedConcurrency(replicas * 4).build();
            String json = ConfigJson.toJson(config).toString();
            NumaTensorParallelConfig back = ConfigJson.parse(json, "test", NumaTensorParallelConfig.builder()).build();
            assertEquals(config, back, json);
            assertEquals(config, config.toBuilder().build());
        }
        assertTrue(ConfigJson.toJson(NumaTensorParallelConfig.builder().replicas(0).build()).toString()
                .contains("\"replicas\":\"auto\""));
        NumaTensorParallelConfig defaults = NumaTensorParallelConfig.builder().build();
        assertEquals(1, defaults.replicas());
        assertEquals(NumaTensorParallelConfig.DERIVED_CONCURRENCY, defaults.expectedConcurrency());
        assertEquals(16, defaults.expectedConcurrencyOr(16));
        assertEquals(5, defaults.toBuilder().expectedConcurrency(5).build().expectedConcurrencyOr(16));
        assertEquals(NumaTensorParallelConfig.AUTO_REPLICAS,
                ConfigJson.parse("{\"replicas\": \" AUTO \"}", "t", NumaTensorParallelConfig.builder()).build().replicas());
    }

    @Test
    void badValuesNameTheFieldOrFlag() {
        ConfigException zero = assertThrows(ConfigException.class,
                () -> ConfigJson.parse("{\"replicas\": 0}", "tp.json", NumaTensorParallelConfig.builder()).build());
        // 0 is auto in the Java API; in JSON a number must be a count
        assertTrue(zero.getMessage().contains("replicas"), zero.getMessage());
        ConfigException word = assertThrows(ConfigException.class,
                () -> ConfigJson.parse("{\"replicas\": \"two\"}", "tp.json", NumaTensorParallelConfig.builder()));
        assertEquals("tp.json: field 'replicas' must be auto or a number of replicas >= 1: 'two'", word.getMessage());
        ConfigException negative = assertThrows(ConfigException.class, () -> ConfigJson.parse(
                "{\"expectedConcurrency\": -2}", "tp.json", NumaTensorParallelConfig.builder()).build());
        assertTrue(negative.getMessage().startsWith("--expected-concurrency must be in [1, "), negative.getMessage());
        ConfigException many = assertThrows(ConfigException.class,
                () -> NumaTensorParallelConfig.builder().replicas(NumaTensorParallelConfig.MAX_REPLICAS + 1).build());
        assertEquals("--replicas must be auto or in [1, 1024]: 1025", many.getMessage());
    }
}
