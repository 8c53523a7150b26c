package numatp.runtime.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import numatp.models.tp.Reduction;
import numatp.topology.IdSet;
import numatp.topology.NumatpException;
import numatp.topology.pinning.PinningPolicy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@link NumaTensorParallelConfig} as JSON. Field names are stable and match the CLI
 * flags: {@code shards}, {@code numaNodes} ([0,1] or "0-1"), {@code interNodePenalty},
 * {@code preferLocalMemory}, {@code nodeAffinity} ("0:0,1:1" or {"0":0,"1":1}),
 * {@code pinningPolicy}, {@code threadsPerShard}, {@code idleStrategy},
 * {@code collectiveAlgorithm}, {@code collectiveTimeoutMs}, {@code workers} ("threads" or
 * "processes"), {@code workersPerNode}, {@code reduction}, {@code replicas} (a number or
 * "auto"), {@code expectedConcurrency} (0 = derived). Absent fields keep the
 * builder's value; unknown fields and wrong types are errors naming the file and field.
 */
public final class ConfigJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final List<String> FIELDS = List.of("shards", "numaNodes", "interNodePenalty",
            "preferLocalMemory", "nodeAffinity", "pinningPolicy", "threadsPerShard", "idleStrategy",
            "collectiveAlgorithm", "collectiveTimeoutMs", "workers", "workersPerNode", "reduction",
            "replicas", "expectedConcurrency");

    private ConfigJson() {
    }

    /** Reads {@code file} over {@code base}: the file's fields replace the builder's. */
    public static NumaTensorParallelConfig.Builder read(Path file, NumaTensorParallelConfig.Builder base) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        return parse(text, file.toString(), base);
    }

    public static NumaTensorParallelConfig.Builder parse(String json, String source, NumaTensorParallelConfig.Builder base) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new ConfigException(source + ": not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(source + ": expected a JSON object with fields " + FIELDS);
        }
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            String where = source + ": field '" + name + "'";
            try {
                apply(base, name, value, where);
            } catch (ConfigException e) {
                throw e;
            } catch (NumatpException e) {
                throw new ConfigException(where + ": " + e.getMessage());
            }
        }
        return base;
    }

    private static void apply(NumaTensorParallelConfig.Builder b, String name, JsonNode value, String where) {
        switch (name) {
            case "shards" -> b.shards(integer(value, where));
            case "numaNodes" -> b.numaNodes(nodes(value, where));
            case "interNodePenalty" -> b.interNodePenalty(number(value, where));
            case "preferLocalMemory" -> b.preferLocalMemory(bool(value, where));
            case "nodeAffinity" -> b.nodeAffinity(affinity(value, where));
            case "pinningPolicy" -> b.pinningPolicy(choice(PinningPolicy.class, value, where));
            case "threadsPerShard" -> b.threadsPerShard(integer(value, where));
            case "idleStrategy" -> b.idleStrategy(choice(IdleStrategyKind.class, value, where));
            case "collectiveAlgorithm" -> b.collectiveAlgorithm(choice(CollectiveAlgorithmKind.class, value, where));
            case "collectiveTimeoutMs" -> b.collectiveTimeout(Duration.ofMillis(integer(value, where)));
            case "workers" -> b.workers(choice(WorkerLayout.class, value, where));
            case "workersPerNode" -> b.workersPerNode(integer(value, where));
            case "reduction" -> b.reduction(choice(Reduction.class, value, where));
            case "replicas" -> b.replicas(replicas(value, where));
            case "expectedConcurrency" -> b.expectedConcurrency(integer(value, where));
            default -> throw new ConfigException(where + " is not a configuration field; known fields: " + FIELDS);
        }
    }

    /** The configuration as a JSON object with every field. */
    public static ObjectNode toJson(NumaTensorParallelConfig config) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("shards", config.shards());
        ArrayNode nodes = node.putArray("numaNodes");
        config.numaNodes().stream().forEach(nodes::add);
        node.put("interNodePenalty", config.interNodePenalty());
        node.put("preferLocalMemory", config.preferLocalMemory());
        node.put("nodeAffinity", NodeAffinityParser.format(config.nodeAffinity()));
        node.put("pinningPolicy", lower(config.pinningPolicy()));
        node.put("threadsPerShard", config.threadsPerShard());
        node.put("idleStrategy", lower(config.idleStrategy()));
        node.put("collectiveAlgorithm", lower(config.collectiveAlgorithm()));
        node.put("collectiveTimeoutMs", config.collectiveTimeout().toMillis());
        node.put("workers", lower(config.workers()));
        node.put("workersPerNode", config.workersPerNode());
        node.put("reduction", lower(config.reduction()));
        if (config.autoReplicas()) {
            node.put("replicas", "auto");
        } else {
            node.put("replicas", config.replicas());
        }
        node.put("expectedConcurrency", config.expectedConcurrency());
        return node;
    }

    static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static int integer(JsonNode value, String where) {
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new ConfigException(where + " must be an integer, found " + value);
        }
        return value.intValue();
    }

    /** A replica count: a positive integer or "auto". */
    private static int replicas(JsonNode value, String where) {
        if (value.isTextual()) {
            return ReplicaCount.parse(value.textValue(), where);
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1) {
            throw new ConfigException(where + " must be \"auto\" or a number of replicas >= 1, found " + value);
        }
        return value.intValue();
    }

    private static double number(JsonNode value, String where) {
        if (!value.isNumber()) {
            throw new ConfigException(where + " must be a number, found " + value);
        }
        return value.doubleValue();
    }

    private static boolean bool(JsonNode value, String where) {
        if (!value.isBoolean()) {
            throw new ConfigException(where + " must be true or false, found " + value);
        }
        return value.booleanValue();
    }

    private static IdSet nodes(JsonNode value, String where) {
        if (value.isTextual()) {
            return IdSet.parseList(value.textValue(), where);
        }
        if (!value.isArray()) {
            throw new ConfigException(where + " must be an array of node ids or a list like \"0-1\", found " + value);
        }
        int[] ids = new int[value.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = value.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
                throw new ConfigException(where + " must hold node ids >= 0, found " + id);
            }
            ids[i] = id.intValue();
        }
        return IdSet.of(ids);
    }

    private static SortedMap<Integer, Integer> affinity(JsonNode value, String where) {
        if (value.isTextual()) {
            return NodeAffinityParser.parse(value.textValue(), where);
        }
        if (!value.isObject()) {
            throw new ConfigException(where + " must be \"shard:node,...\" or an object {\"shard\": node}, found " + value);
        }
        SortedMap<Integer, Integer> map = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = value.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String pair = e.getKey() + ":" + (e.getValue().isIntegralNumber() ? e.getValue().asText() : "?" + e.getValue());
            map.putAll(NodeAffinityParser.parse(pair, where));
        }
        return map;
    }

    private static <E extends Enum<E>> E choice(Class<E> type, JsonNode value, String where) {
        if (value.isTextual()) {
            String wanted = value.textValue().trim().replace('-', '_');
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equalsIgnoreCase(wanted)) {
                    return constant;
                }
            }
        }
        StringBuilder known = new StringBuilder();
        for (E constant : type.getEnumConstants()) {
            known.append(known.isEmpty() ? "" : ", ").append(lower(constant));
        }
        throw new ConfigException(where + " must be one of " + known + ", found " + value);
    }
}
