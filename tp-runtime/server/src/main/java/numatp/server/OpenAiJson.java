package numatp.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The response bodies of the OpenAI API, field for field: completions and chat
 * completions (whole and as stream chunks), usage, the model list and errors.
 */
final class OpenAiJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private OpenAiJson() {
    }

    /** Identity shared by a response and all its chunks. */
    record Header(ApiRequest.Kind kind, String id, long created, String model) {
        static Header of(ApiRequest.Kind kind, String model) {
            String prefix = kind == ApiRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-";
            return new Header(kind, prefix + Ids.hex(12),
                    System.currentTimeMillis() / 1000, model);
        }
    }

    /** The whole response of a non-streamed request. */
    static ObjectNode response(Header h, String text, FinishReason reason, int promptTokens, int completionTokens) {
        boolean chat = h.kind() == ApiRequest.Kind.CHAT;
        ObjectNode root = start(h, chat ? "chat.completion" : "text_completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", text);
        } else {
            choice.put("text", text);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", reason.label());
        usage(root, promptTokens, completionTokens);
        return root;
    }

    /**
     * One stream chunk. {@code text} null with a null {@code reason}: the chat opener (role
     * only); {@code reason} non-null: the closing chunk.
     */
    static ObjectNode chunk(Header h, String text, FinishReason reason) {
        boolean chat = h.kind() == ApiRequest.Kind.CHAT;
        ObjectNode root = start(h, chat ? "chat.completion.chunk" : "text_completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode delta = choice.putObject("delta");
            if (text == null && reason == null) {
                delta.put("role", "assistant");
                delta.put("content", "");
            } else if (text != null) {
                delta.put("content", text);
            }
        } else {
            choice.put("text", text == null ? "" : text);
        }
        choice.putNull("logprobs");
        if (reason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", reason.label());
        }
        return root;
    }

    /** The last chunk when {@code stream_options.include_usage} is set: no choices, only usage. */
    static ObjectNode usageChunk(Header h, int promptTokens, int completionTokens) {
        ObjectNode root = start(h, h.kind() == ApiRequest.Kind.CHAT ? "chat.completion.chunk" : "text_completion");
        root.putArray("choices");
        usage(root, promptTokens, completionTokens);
        return root;
    }

    static ObjectNode error(ApiError e) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e.message());
        error.put("type", e.type());
        error.put("param", e.param());
        error.put("code", e.code());
        return root;
    }

    static ObjectNode model(String id, long created, int contextPositions) {
        ObjectNode m = MAPPER.createObjectNode();
        m.put("id", id);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "numatp");
        m.put("max_model_len", contextPositions);
        return m;
    }

    static ObjectNode modelList(String id, long created, int contextPositions) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("object", "list");
        root.putArray("data").add(model(id, created, contextPositions));
        return root;
    }

    static byte[] bytes(ObjectNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serialises", e);
        }
    }

    private static ObjectNode start(Header h, String object) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("id", h.id());
        root.put("object", object);
        root.put("created", h.created());
        root.put("model", h.model());
        return root;
    }

    private static void usage(ObjectNode root, int promptTokens, int completionTokens) {
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
    }
}
