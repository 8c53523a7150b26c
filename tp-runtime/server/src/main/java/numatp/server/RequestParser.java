package numatp.server;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import numatp.models.tokenizer.TextTokenizer;
import numatp.models.tp.TpEngine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads an OpenAI completions or chat request into an {@link ApiRequest}, checking every
 * field it knows: its JSON type, its range, and that prompt plus {@code max_tokens} fit
 * the context. Fields numatp cannot honour ({@code n > 1}, {@code logprobs}, penalties,
 * tools, ...) are refused with 400 when set to anything but their no-op value, rather
 * than silently ignored; fields it has never heard of are ignored, as vLLM does, so
 * clients that send vendor extras keep working. Every refusal names the field in
 * {@code param}. Thread-safe.
 */
public final class RequestParser {
    /** OpenAI's limit on stop strings per request. */
    public static final int MAX_STOPS = 4;
    /** The default {@code max_tokens} of {@code /v1/completions} (OpenAI's). */
    public static final int DEFAULT_COMPLETION_TOKENS = 16;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** Seed used for {@code "seed": 0} (the sampler's xorshift state must be non-zero). */
    private static final long SEED_FOR_ZERO = 0x9E3779B97F4A7C15L;

    private final TextTokenizer tokenizer;
    private final int vocabSize;
    private final int contextPositions;
    private final String modelId;
    private final int maxPieceBytes; // longest vocabulary piece: bounds the tokens of a text from below
    private final ChatTemplate chatTemplate;
    private final int[] chatStopTokens; // the template's end-of-turn tokens in this vocabulary

    /** A parser with the {@link ChatTemplate#PLAIN} chat transcript. */
    public RequestParser(TextTokenizer tokenizer, int vocabSize, int contextPositions, String modelId) {
        this(tokenizer, vocabSize, contextPositions, modelId, ChatTemplate.PLAIN);
    }

    /**
     * @param contextPositions positions of a KV-cache slot: prompt plus output must fit
     * @param modelId          the served model's id; a request naming another gets 404
     * @param chatTemplate     how chat messages become the prompt
     */
    public RequestParser(TextTokenizer tokenizer, int vocabSize, int contextPositions, String modelId,
                         ChatTemplate chatTemplate) {
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.chatStopTokens = chatTemplate.stopTokens(tokenizer);
        this.vocabSize = vocabSize;
        this.contextPositions = contextPositions;
        this.modelId = modelId;
        int longest = 1;
        for (int i = 0; i < tokenizer.vocabSize(); i++) {
            longest = Math.max(longest, tokenizer.piece(i).length);
        }
        this.maxPieceBytes = longest;
    }

    /** @throws ApiException 400 (or 404 for an unknown model) naming what is wrong */
    public ApiRequest parse(ApiRequest.Kind kind, byte[] body) {
        JsonNode root = readJson(body);
        if (!root.isObject()) {
            throw ApiError.invalid(null, "the request body must be a JSON object, got " + typeOf(root)).exception();
        }
        String model = optString(root, "model");
        if (model != null && !model.equals(modelId)) {
            throw ApiError.notFound("model_not_found", "The model `" + model + "` does not exist; this server serves `"
                    + modelId + "` (GET /v1/models)").exception();
        }
        Long n = optInteger(root, "n");
        if (n != null && n != 1) {
            throw ApiError.invalid("n", "unsupported_parameter", "n must be 1 (numatp returns one choice per request): "
                    + n).exception();
        }
        refuseUnsupported(root, kind);
        List<String> stops = stops(root);
        int[] prompt;
        int[] stopTokens = new int[0];
        String promptParam;
        if (kind == ApiRequest.Kind.CHAT) {
            promptParam = "messages";
            List<ChatTemplate.Message> messages = messages(root);
            refuseLongText(chatTemplate.render(messages), promptParam);
            prompt = rows(chatTemplate.encode(messages, tokenizer), promptParam);
            stops.addAll(chatTemplate.stopStrings());
            stopTokens = chatStopTokens;
        } else {
            promptParam = "prompt";
            prompt = prompt(root);
        }
        if (prompt.length >= contextPositions) {
            throw ApiError.invalid(promptParam, "context_length_exceeded", "the prompt is " + prompt.length
                    + " tokens; the context holds " + contextPositions + " positions, so at most "
                    + (contextPositions - 1) + " prompt tokens leave room for one new token").exception();
        }
        int room = contextPositions - prompt.length + 1;
        int maxTokens = maxTokens(root, kind, prompt.length, room);
        float temperature = (float) optNumber(root, "temperature", 0, 2, 1.0);
        float topP = (float) optNumber(root, "top_p", 0, 1, 1.0);
        Long topK = optInteger(root, "top_k");
        if (topK != null && (topK < -1 || topK > vocabSize)) {
            throw ApiError.invalid("top_k", "top_k must be in [-1, " + vocabSize + "] (-1 or 0: off): " + topK)
                    .exception();
        }
        Long seed = optInteger(root, "seed");
        long s = seed == null ? randomSeed() : seed == 0 ? SEED_FOR_ZERO : seed;
        TpEngine.Sampling sampling = new TpEngine.Sampling(temperature, topP, topK == null ? 0 : (int) Math.max(0, topK), s);
        boolean stream = optBoolean(root, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = present(root, "stream_options");
        if (streamOptions != null) {
            if (!streamOptions.isObject()) {
                throw wrongType("stream_options", "an object", streamOptions);
            }
            includeUsage = optBoolean(streamOptions, "include_usage", "stream_options.include_usage", false);
        }
        return new ApiRequest(kind, new GenerationRequest(prompt, maxTokens, sampling, stops, stopTokens), stream,
                includeUsage);
    }

    private static JsonNode readJson(byte[] body) {
        if (body.length == 0) {
            throw ApiError.invalid(null, "the request body is empty; expected a JSON object").exception();
        }
        checkUtf8(body);
        try {
            JsonNode root = MAPPER.readTree(body);
            if (root == null || root.isMissingNode()) {
                throw ApiError.invalid(null, "the request body is empty; expected a JSON object").exception();
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw ApiError.invalid(null, "invalid_json", "the request body is not valid JSON" + where + ": "
                    + e.getOriginalMessage()).exception();
        } catch (IOException e) {
            throw ApiError.invalid(null, "invalid_json", "the request body cannot be read as JSON: " + e.getMessage())
                    .exception();
        }
    }

    /**
     * JSON text is UTF-8 (RFC 8259), strictly: Jackson's own decoder lets overlong forms,
     * surrogates and code points past U+10FFFF through, which the JDK's refuses.
     */
    private static void checkUtf8(byte[] body) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(body);
        CoderResult result = decoder.decode(in, CharBuffer.allocate(body.length), true);
        if (result.isError()) {
            int at = in.position();
            StringBuilder bytes = new StringBuilder();
            for (int i = at; i < Math.min(body.length, at + result.length()); i++) {
                bytes.append(bytes.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%02X", body[i] & 0xFF));
            }
            throw ApiError.invalid(null, "invalid_json", "the request body is not valid UTF-8: bytes " + bytes
                    + " at byte offset " + at).exception();
        }
    }

    private int maxTokens(JsonNode root, ApiRequest.Kind kind, int promptTokens, int room) {
        String param = "max_tokens";
        Long requested = optInteger(root, "max_tokens");
        if (kind == ApiRequest.Kind.CHAT && present(root, "max_completion_tokens") != null) {
            param = "max_completion_tokens";
            requested = optInteger(root, param);
        }
        if (requested == null) {
            return kind == ApiRequest.Kind.COMPLETION ? Math.min(DEFAULT_COMPLETION_TOKENS, room) : room;
        }
        if (requested < 1) {
            throw ApiError.invalid(param, param + " must be >= 1: " + requested).exception();
        }
        if (requested > room) {
            throw ApiError.invalid(param, "context_length_exceeded", "the context holds " + contextPositions
                    + " positions, but " + promptTokens + " prompt tokens + " + requested + " " + param
                    + " need " + (promptTokens + requested - 1) + "; ask for at most " + room + " tokens or"
                    + " shorten the prompt").exception();
        }
        return requested.intValue();
    }

    private int[] prompt(JsonNode root) {
        JsonNode p = present(root, "prompt");
        if (p == null) {
            throw ApiError.invalid("prompt", "prompt is required").exception();
        }
        if (p.isArray() && p.size() == 1 && (p.get(0).isTextual() || p.get(0).isArray())) {
            p = p.get(0); // a batch of one
        }
        if (p.isTextual()) {
            if (p.textValue().isEmpty()) {
                throw ApiError.invalid("prompt", "prompt must not be empty").exception();
            }
            return encode(p.textValue(), "prompt");
        }
        if (p.isArray()) {
            if (p.isEmpty()) {
                throw ApiError.invalid("prompt", "prompt must not be empty").exception();
            }
            if (p.get(0).isTextual() || p.get(0).isArray()) {
                throw ApiError.invalid("prompt", "unsupported_parameter", "prompt holds " + p.size()
                        + " prompts; numatp takes one per request").exception();
            }
            boolean bos = !tokenizer.addsBos() || p.get(0).isIntegralNumber() && p.get(0).canConvertToInt()
                    && p.get(0).intValue() == tokenizer.bos();
            int[] tokens = new int[p.size() + (bos ? 0 : 1)];
            int at = 0;
            if (!bos) {
                tokens[at++] = tokenizer.bos();
            }
            for (int i = 0; i < p.size(); i++) {
                JsonNode t = p.get(i);
                if (!t.isIntegralNumber() || !t.canConvertToInt() || t.intValue() < 0 || t.intValue() >= vocabSize) {
                    throw ApiError.invalid("prompt", "prompt[" + i + "] must be a token id in [0, " + vocabSize
                            + "): " + t).exception();
                }
                tokens[at++] = t.intValue();
            }
            return tokens;
        }
        throw wrongType("prompt", "a string or an array of token ids", p);
    }

    /** BOS and the tokens of {@code text}. */
    private int[] encode(String text, String param) {
        refuseLongText(text, param);
        return rows(tokenizer.encode(text, true, false), param);
    }

    /**
     * Encoded ids are checked like given ones: a tokenizer that knows more pieces than the
     * model has embedding rows (or falls back to byte ids it does not have) must not hand the
     * engine a row that is not there.
     */
    private int[] rows(int[] ids, String param) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw ApiError.invalid(param, "the text of " + param + " encodes to token id " + ids[i] + " (token "
                        + i + "), outside the model's vocabulary [0, " + vocabSize + "); the tokenizer does not match"
                        + " the model").exception();
            }
        }
        return ids;
    }

    /**
     * Refuses a text too long to fit the context whatever its tokens, before encoding it:
     * encoding is O(n log n) but a 1 MiB body is still work the answer does not need.
     */
    private void refuseLongText(String text, String param) {
        long minTokens = (long) text.getBytes(StandardCharsets.UTF_8).length / maxPieceBytes;
        if (minTokens >= contextPositions) {
            throw ApiError.invalid(param, "context_length_exceeded", "the prompt is at least " + minTokens
                    + " tokens; the context holds " + contextPositions + " positions").exception();
        }
    }

    private static List<ChatTemplate.Message> messages(JsonNode root) {
        JsonNode ms = present(root, "messages");
        if (ms == null) {
            throw ApiError.invalid("messages", "messages is required").exception();
        }
        if (!ms.isArray()) {
            throw wrongType("messages", "an array of messages", ms);
        }
        if (ms.isEmpty()) {
            throw ApiError.invalid("messages", "messages must not be empty").exception();
        }
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = ms.get(i);
            if (!m.isObject()) {
                throw wrongType(at, "an object", m);
            }
            JsonNode roleNode = present(m, "role");
            if (roleNode == null) {
                throw ApiError.invalid(at + ".role", at + ".role is required").exception();
            }
            if (!roleNode.isTextual()) {
                throw wrongType(at + ".role", "a string", roleNode);
            }
            String role = switch (roleNode.textValue()) {
                case "system", "developer" -> "system";
                case "user" -> "user";
                case "assistant" -> "assistant";
                default -> throw ApiError.invalid(at + ".role", "unsupported_parameter", at + ".role must be system,"
                        + " developer, user or assistant: " + roleNode.textValue()).exception();
            };
            if (present(m, "tool_calls") != null || present(m, "function_call") != null) {
                throw ApiError.invalid(at + ".tool_calls", "unsupported_parameter", "tool calls are not supported")
                        .exception();
            }
            out.add(new ChatTemplate.Message(role, content(m, at, role)));
        }
        return out;
    }

    private static String content(JsonNode m, String at, String role) {
        JsonNode c = present(m, "content");
        String param = at + ".content";
        if (c == null) {
            if (role.equals("assistant")) {
                return "";
            }
            throw ApiError.invalid(param, param + " is required").exception();
        }
        if (c.isTextual()) {
            return c.textValue();
        }
        if (!c.isArray()) {
            throw wrongType(param, "a string or an array of text parts", c);
        }
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < c.size(); j++) {
            JsonNode part = c.get(j);
            String partAt = param + "[" + j + "]";
            if (!part.isObject()) {
                throw wrongType(partAt, "an object", part);
            }
            JsonNode type = present(part, "type");
            if (type == null || !type.isTextual() || !type.textValue().equals("text")) {
                throw ApiError.invalid(partAt + ".type", "unsupported_parameter", "only text parts are supported: "
                        + (type == null ? "no type" : type)).exception();
            }
            JsonNode t = present(part, "text");
            if (t == null || !t.isTextual()) {
                throw wrongType(partAt + ".text", "a string", t);
            }
            text.append(t.textValue());
        }
        return text.toString();
    }

    private static List<String> stops(JsonNode root) {
        List<String> out = new ArrayList<>();
        JsonNode s = present(root, "stop");
        if (s == null) {
            return out;
        }
        if (s.isTextual()) {
            addStop(out, s.textValue(), "stop");
            return out;
        }
        if (!s.isArray()) {
            throw wrongType("stop", "a string or an array of strings", s);
        }
        if (s.size() > MAX_STOPS) {
            throw ApiError.invalid("stop", "stop takes at most " + MAX_STOPS + " strings: " + s.size()).exception();
        }
        for (int i = 0; i < s.size(); i++) {
            if (!s.get(i).isTextual()) {
                throw wrongType("stop[" + i + "]", "a string", s.get(i));
            }
            addStop(out, s.get(i).textValue(), "stop[" + i + "]");
        }
        return out;
    }

    private static void addStop(List<String> out, String stop, String param) {
        if (stop.isEmpty()) {
            throw ApiError.invalid(param, param + " must not be empty").exception();
        }
        out.add(stop);
    }

    /** Fields numatp does not implement: allowed only with the value that changes nothing. */
    private static void refuseUnsupported(JsonNode root, ApiRequest.Kind kind) {
        zeroNumber(root, "presence_penalty");
        zeroNumber(root, "frequency_penalty");
        JsonNode bias = present(root, "logit_bias");
        if (bias != null && (!bias.isObject() || !bias.isEmpty())) {
            throw unsupported("logit_bias");
        }
        if (kind == ApiRequest.Kind.COMPLETION) {
            Long bestOf = optInteger(root, "best_of");
            if (bestOf != null && bestOf != 1) {
                throw unsupported("best_of");
            }
            if (optBoolean(root, "echo", false)) {
                throw unsupported("echo");
            }
            JsonNode logprobs = present(root, "logprobs");
            if (logprobs != null && !(logprobs.isIntegralNumber() && logprobs.canConvertToLong()
                    && logprobs.longValue() == 0)) {
                throw unsupported("logprobs");
            }
            String suffix = optString(root, "suffix");
            if (suffix != null && !suffix.isEmpty()) {
                throw unsupported("suffix");
            }
        } else {
            if (optBoolean(root, "logprobs", false)) {
                throw unsupported("logprobs");
            }
            Long top = optInteger(root, "top_logprobs");
            if (top != null && top != 0) {
                throw unsupported("top_logprobs");
            }
            for (String f : List.of("tools", "functions")) {
                JsonNode t = present(root, f);
                if (t != null && (!t.isArray() || !t.isEmpty())) {
                    throw unsupported(f);
                }
            }
            for (String f : List.of("tool_choice", "function_call")) {
                JsonNode t = present(root, f);
                if (t != null && !(t.isTextual() && (t.textValue().equals("none") || t.textValue().equals("auto")))) {
                    throw unsupported(f);
                }
            }
            JsonNode format = present(root, "response_format");
            if (format != null) {
                JsonNode type = format.isObject() ? present(format, "type") : null;
                if (type == null || !type.isTextual() || !type.textValue().equals("text")) {
                    throw unsupported("response_format");
                }
            }
        }
    }

    private static void zeroNumber(JsonNode root, String field) {
        JsonNode v = present(root, field);
        if (v == null) {
            return;
        }
        if (!v.isNumber()) {
            throw wrongType(field, "a number", v);
        }
        if (v.asDouble() != 0) {
            throw unsupported(field);
        }
    }

    private static ApiException unsupported(String field) {
        return ApiError.invalid(field, "unsupported_parameter", field + " is not supported by numatp; leave it"
                + " out (or at its default)").exception();
    }

    /** The field's value, or null when absent or JSON null (OpenAI treats both as "not given"). */
    private static JsonNode present(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private static String optString(JsonNode o, String field) {
        JsonNode v = present(o, field);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw wrongType(field, "a string", v);
        }
        return v.textValue();
    }

    private static Long optInteger(JsonNode o, String field) {
        JsonNode v = present(o, field);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber()) {
            throw wrongType(field, "an integer", v);
        }
        if (!v.canConvertToLong()) {
            throw ApiError.invalid(field, field + " is out of range: " + abbreviate(v.toString())).exception();
        }
        return v.longValue();
    }

    private static double optNumber(JsonNode o, String field, double min, double max, double absent) {
        JsonNode v = present(o, field);
        if (v == null) {
            return absent;
        }
        if (!v.isNumber()) {
            throw wrongType(field, "a number", v);
        }
        double d = v.asDouble();
        if (!(d >= min && d <= max)) {
            throw ApiError.invalid(field, String.format(Locale.ROOT, "%s must be in [%s, %s]: %s", field,
                    plain(min), plain(max), v)).exception();
        }
        return d;
    }

    private static boolean optBoolean(JsonNode o, String field, boolean absent) {
        return optBoolean(o, field, field, absent);
    }

    private static boolean optBoolean(JsonNode o, String field, String param, boolean absent) {
        JsonNode v = present(o, field);
        if (v == null) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw wrongType(param, "a boolean", v);
        }
        return v.booleanValue();
    }

    private static ApiException wrongType(String param, String expected, JsonNode got) {
        return ApiError.invalid(param, param + " must be " + expected + ", got " + typeOf(got)
                + (got == null ? "" : " " + abbreviate(got.toString()))).exception();
    }

    private static String typeOf(JsonNode v) {
        if (v == null) {
            return "nothing";
        }
        return switch (v.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> v.isIntegralNumber() ? "an integer" : "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> v.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    private static String plain(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static long randomSeed() {
        long s;
        do {
            s = ThreadLocalRandom.current().nextLong();
        } while (s == 0);
        return s;
    }
}
