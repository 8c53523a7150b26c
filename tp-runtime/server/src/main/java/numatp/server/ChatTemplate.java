package numatp.server;

import numatp.models.ModelFiles;
import numatp.models.tokenizer.TextTokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How a chat becomes a prompt. GGUF files may carry their model's Jinja template in
 * {@code tokenizer.chat_template}; {@link #forModel} runs it ({@link JinjaTemplate},
 * sandboxed Jinjava) when it renders a probe conversation, and uses its family, recognised
 * by its markers ({@link #detect}), for the strings and tokens that end a turn. A model
 * without a template, or whose template does not render here, gets its family formatted
 * by hand as those templates render it (or the {@link Family#PLAIN} transcript when the
 * family is not recognised either). Immutable and thread-safe.
 *
 * <p>{@link #render} gives the exact text the template renders, special tokens written
 * out ({@code <s>}, {@code <|im_start|>}, ...). {@link #encode} tokenizes it as llama.cpp
 * does with special tokens parsed: each special token becomes its own id, and each
 * stretch of text between them is encoded on its own, with the dummy-prefix space. Only
 * the template's own markers are special: the same strings inside a message's content
 * stay text. A special token the vocabulary lacks is encoded as text too. A template that
 * fails on a conversation ({@code raise_exception}, or an error) fails the request with 400.
 */
public final class ChatTemplate {
    /** The template families numatp formats; {@link #PLAIN} is its own fallback transcript. */
    public enum Family {
        /** {@code System\n\nUser: ...\nAssistant: ...\nAssistant:}; stops at {@code \nUser:}. */
        PLAIN("plain", false),
        /** Llama-2 chat: {@code <s>[INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST] ... </s>}. */
        LLAMA2("llama-2", true),
        /** Llama-3 (3.0): {@code <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>}. */
        LLAMA3("llama-3", true),
        /** ChatML: {@code <|im_start|>role\n...<|im_end|>\n}. */
        CHATML("chatml", false),
        /** Zephyr: {@code <|role|>\n...</s>\n}. */
        ZEPHYR("zephyr", false),
        /** Mistral Instruct (v0.1/v0.2): {@code <s>[INST] ... [/INST]...</s>}, no system role. */
        MISTRAL("mistral", true);

        private final String label;
        private final boolean rendersBos;

        Family(String label, boolean rendersBos) {
            this.label = label;
            this.rendersBos = rendersBos;
        }

        /** The name used in the start-up line and the docs. */
        public String label() {
            return label;
        }
    }

    /** One message: role {@code system}, {@code user} or {@code assistant}, and its text. */
    public record Message(String role, String content) {
    }

    /** A stretch of a rendered prompt: text, or the written form of a special token. */
    private record Part(String text, boolean special) {
    }

    private static final String BOS = "<s>";
    private static final String EOS = "</s>";
    /** The conversation a template must render at start-up to be used. */
    private static final List<Message> PROBE = List.of(new Message("user", "Hello"));

    /** The fallback every model without a recognised template gets. */
    public static final ChatTemplate PLAIN = new ChatTemplate(Family.PLAIN, "numatp's own transcript");

    private final Family family; // the family formatted by hand, or (with jinja) the one whose turn ends stop
    private final String source;
    private final JinjaTemplate jinja; // null: the family is formatted by hand
    private final SpecialTokens specials; // with jinja: the vocabulary's control tokens
    private final String bosToken; // with jinja: its bos_token and eos_token
    private final String eosToken;

    private ChatTemplate(Family family, String source) {
        this(family, source, null, null, "", "");
    }

    private ChatTemplate(Family family, String source, JinjaTemplate jinja, SpecialTokens specials, String bosToken,
                         String eosToken) {
        this.family = family;
        this.source = source;
        this.jinja = jinja;
        this.specials = specials;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    public static ChatTemplate of(Family family) {
        return new ChatTemplate(family, "chosen");
    }

    /**
     * The chat template of {@code model} ({@link #forModel(String, TextTokenizer, SpecialTokens)}),
     * with {@code tokenizer}: the model's own vocabulary when {@code tokenizerPath} is null
     * (then a SentencePiece vocabulary's control tokens come from the file's token types).
     */
    public static ChatTemplate forModel(Path model, Path tokenizerPath, TextTokenizer tokenizer) {
        String jinja = ModelFiles.chatTemplate(model);
        if (jinja == null || jinja.isBlank()) {
            return fromJinja(jinja);
        }
        long[] types = tokenizerPath == null ? SpecialTokens.ggufTypes(model) : null;
        return forModel(jinja, tokenizer, SpecialTokens.of(tokenizer, types));
    }

    /**
     * The template for a model whose {@code tokenizer.chat_template} is {@code jinja} (null
     * when it has none), run by the Jinja engine for {@code tokenizer}, whose control tokens
     * are {@code specials} ({@code bos_token} and {@code eos_token} are their texts). When
     * the template fails on a one-message probe conversation, or there is none, this is
     * {@link #fromJinja}: the family formatted by hand, the reason in {@link #describe}.
     */
    public static ChatTemplate forModel(String jinja, TextTokenizer tokenizer, SpecialTokens specials) {
        if (jinja == null || jinja.isBlank()) {
            return fromJinja(jinja);
        }
        String failure;
        try {
            JinjaTemplate t = new JinjaTemplate(jinja);
            ChatTemplate c = new ChatTemplate(detect(jinja), "tokenizer.chat_template, " + jinja.length() + " chars",
                    t, specials, specials.text(tokenizer.bos()), specials.text(tokenizer.eos()));
            c.encode(PROBE, tokenizer);
            return c;
        } catch (ApiException e) {
            failure = e.error().message();
        } catch (RuntimeException e) { // whatever Jinjava throws while reading the template
            failure = String.valueOf(e.getMessage());
        }
        ChatTemplate hand = fromJinja(jinja);
        return new ChatTemplate(hand.family, "tokenizer.chat_template does not render in numatp's Jinja engine ("
                + abbreviate(failure.replace("\n", "\\n"), 120) + "); " + (hand.family == Family.PLAIN
                ? "numatp's own transcript" : "formatted by hand as recognised"));
    }

    /**
     * The template for a model whose GGUF {@code tokenizer.chat_template} is {@code jinja}
     * (null when it has none), formatted by hand: its family if recognised, else
     * {@link Family#PLAIN}.
     */
    public static ChatTemplate fromJinja(String jinja) {
        if (jinja == null || jinja.isBlank()) {
            return new ChatTemplate(Family.PLAIN, "the model has no tokenizer.chat_template");
        }
        Family f = detect(jinja);
        if (f == Family.PLAIN) {
            return new ChatTemplate(f, "tokenizer.chat_template not recognised: "
                    + abbreviate(jinja.strip().replace("\n", "\\n"), 60));
        }
        return new ChatTemplate(f, "recognised in tokenizer.chat_template");
    }

    /**
     * The family of a Jinja chat template by its markers: {@code <|im_start|>} ChatML,
     * {@code <|start_header_id|>} Llama-3, {@code [INST]} with {@code <<SYS>>} Llama-2,
     * {@code [INST]} alone Mistral, {@code <|user|>} Zephyr (but not Phi-3's, which ends
     * turns with {@code <|end|>}); anything else (or null) {@link Family#PLAIN}.
     */
    public static Family detect(String jinja) {
        if (jinja == null) {
            return Family.PLAIN;
        }
        if (jinja.contains("<|im_start|>")) {
            return Family.CHATML;
        }
        if (jinja.contains("<|start_header_id|>")) {
            return Family.LLAMA3;
        }
        if (jinja.contains("[INST]")) {
            return jinja.contains("<<SYS>>") ? Family.LLAMA2 : Family.MISTRAL;
        }
        if (jinja.contains("<|user|>") && !jinja.contains("<|end|>")) {
            return Family.ZEPHYR;
        }
        return Family.PLAIN;
    }

    /** The family formatted by hand, or, for a Jinja template, the one whose end of turn stops a reply. */
    public Family family() {
        return family;
    }

    /** Whether the model's own template runs (else the family is formatted by hand). */
    public boolean runsJinja() {
        return jinja != null;
    }

    /** One line for the start-up report: which template, and why. */
    public String describe() {
        if (jinja != null) {
            return "jinja (" + source + "; turns end as " + family.label() + ")";
        }
        return family.label() + " (" + source + ")";
    }

    /**
     * The text the template renders for {@code messages}, ready for the assistant's reply.
     *
     * @throws ApiException 400 when the model's Jinja template refuses or fails on them
     */
    public String render(List<Message> messages) {
        if (jinja != null) {
            return renderJinja(messages, false);
        }
        StringBuilder out = new StringBuilder();
        for (Part p : parts(messages)) {
            out.append(p.text());
        }
        return out.toString();
    }

    /**
     * The prompt's tokens: BOS first (the template's own, or added in front when the
     * tokenizer adds it to every prompt), special tokens as their ids, the text between
     * them encoded piece by piece. For {@link Family#PLAIN} this is exactly
     * {@code tokenizer.encode(render(messages), true, false)}.
     *
     * @throws ApiException 400 when the model's Jinja template refuses or fails on them
     */
    public int[] encode(List<Message> messages, TextTokenizer tokenizer) {
        if (jinja != null) {
            return specials.encode(renderJinja(messages, true), tokenizer);
        }
        PromptTokens out = new PromptTokens(!family.rendersBos && tokenizer.addsBos() && tokenizer.bos() >= 0);
        StringBuilder text = new StringBuilder();
        for (Part p : parts(messages)) {
            int id = p.special() ? specialId(p.text(), tokenizer) : -1;
            if (id < 0) {
                text.append(p.text());
            } else {
                out.text(tokenizer, text);
                out.add(tokenizer, id);
            }
        }
        out.text(tokenizer, text);
        return out.toArray(tokenizer);
    }

    /** The Jinja template's text; with {@code escaped}, control-token texts in contents as {@link SpecialTokens} sentinels. */
    private String renderJinja(List<Message> messages, boolean escaped) {
        List<Message> ms = messages;
        if (escaped) {
            ms = new ArrayList<>(messages.size());
            for (Message m : messages) {
                ms.add(new Message(m.role(), specials.escape(m.content())));
            }
        }
        try {
            return jinja.render(ms, bosToken, eosToken);
        } catch (JinjaTemplate.RenderException e) {
            String message = e.raised() ? "the model's chat template refuses these messages: " + e.getMessage()
                    : e.getMessage();
            throw ApiError.invalid("messages", "chat_template_error", message).exception();
        }
    }

    /**
     * Strings that end the reply besides the request's own: the next turn's start, or a
     * stop token written out (for a vocabulary that lacks it). None for a Jinja template of
     * no recognised family.
     */
    public List<String> stopStrings() {
        if (jinja != null && family == Family.PLAIN) {
            return List.of();
        }
        return switch (family) {
            case PLAIN -> List.of("\nUser:");
            case LLAMA3 -> List.of("<|eot_id|>");
            case CHATML -> List.of("<|im_end|>");
            case ZEPHYR -> List.of("<|user|>");
            case LLAMA2, MISTRAL -> List.of();
        };
    }

    /**
     * Ids of the tokens that end the reply besides EOS and the vocabulary's other
     * end-of-generation tokens ({@link TextTokenizer#isEndOfGeneration}), where it has them.
     */
    public int[] stopTokens(TextTokenizer tokenizer) {
        List<String> pieces = switch (family) {
            case LLAMA3 -> List.of("<|eot_id|>", "<|end_of_text|>");
            case CHATML -> List.of("<|im_end|>");
            default -> List.of();
        };
        return pieces.stream().mapToInt(p -> specialId(p, tokenizer)).filter(id -> id >= 0).toArray();
    }

    /** {@code <s>} and {@code </s>} are BOS and EOS whatever their pieces; others by piece, or -1. */
    private static int specialId(String piece, TextTokenizer tokenizer) {
        return switch (piece) {
            case BOS -> tokenizer.bos();
            case EOS -> tokenizer.eos();
            default -> tokenizer.lookup(piece.getBytes(StandardCharsets.UTF_8));
        };
    }

    private List<Part> parts(List<Message> messages) {
        List<Part> out = new ArrayList<>();
        switch (family) {
            case PLAIN -> plain(messages, out);
            case LLAMA2 -> llama2(messages, out);
            case LLAMA3 -> llama3(messages, out);
            case CHATML -> chatml(messages, out);
            case ZEPHYR -> zephyr(messages, out);
            case MISTRAL -> mistral(messages, out);
        }
        return out;
    }

    private static void plain(List<Message> messages, List<Part> out) {
        StringBuilder s = new StringBuilder();
        for (Message m : messages) {
            switch (m.role()) {
                case "system" -> s.append(m.content()).append("\n\n");
                case "user" -> s.append("User: ").append(m.content()).append('\n');
                case "assistant" -> s.append("Assistant: ").append(m.content()).append('\n');
                default -> throw unknownRole(m);
            }
        }
        text(out, s.append("Assistant:").toString());
    }

    /**
     * Meta's Llama-2 template: a leading system message goes, in {@code <<SYS>>} tags, in
     * front of the first other message; each user turn is {@code <s>[INST] ... [/INST]},
     * each assistant turn {@code " ... </s>"}, contents stripped. Roles are not checked
     * to alternate (the template would refuse); each message renders by its role.
     */
    private static void llama2(List<Message> messages, List<Part> out) {
        int from = 0;
        String system = null;
        if (!messages.isEmpty() && messages.getFirst().role().equals("system")) {
            system = messages.getFirst().content();
            from = 1;
        }
        for (int i = from; i < messages.size(); i++) {
            Message m = messages.get(i);
            String content = i == from && system != null
                    ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + m.content() : m.content();
            switch (m.role()) {
                case "user" -> {
                    special(out, BOS);
                    text(out, "[INST] " + content.strip() + " [/INST]");
                }
                case "system" -> text(out, "<<SYS>>\n" + content.strip() + "\n<</SYS>>\n\n");
                case "assistant" -> {
                    text(out, " " + content.strip() + " ");
                    special(out, EOS);
                }
                default -> throw unknownRole(m);
            }
        }
    }

    /** Llama-3's template: BOS, one header-content-eot block per message (content trimmed), the assistant header. */
    private static void llama3(List<Message> messages, List<Part> out) {
        special(out, "<|begin_of_text|>");
        for (Message m : messages) {
            header(out, m.role());
            text(out, m.content().strip());
            special(out, "<|eot_id|>");
        }
        header(out, "assistant");
    }

    private static void header(List<Part> out, String role) {
        special(out, "<|start_header_id|>");
        text(out, role);
        special(out, "<|end_header_id|>");
        text(out, "\n\n");
    }

    /** ChatML: {@code <|im_start|>role\ncontent<|im_end|>\n} per message, then {@code <|im_start|>assistant\n}. */
    private static void chatml(List<Message> messages, List<Part> out) {
        for (Message m : messages) {
            special(out, "<|im_start|>");
            text(out, m.role() + "\n" + m.content());
            special(out, "<|im_end|>");
            text(out, "\n");
        }
        special(out, "<|im_start|>");
        text(out, "assistant\n");
    }

    /** Zephyr: {@code <|role|>\ncontent</s>\n} per message, then {@code <|assistant|>\n}; the role tags are text. */
    private static void zephyr(List<Message> messages, List<Part> out) {
        for (Message m : messages) {
            text(out, "<|" + m.role() + "|>\n" + m.content());
            special(out, EOS);
            text(out, "\n");
        }
        text(out, "<|assistant|>\n");
    }

    /**
     * Mistral Instruct v0.1/v0.2: BOS once, {@code [INST] user [/INST]} and
     * {@code assistant</s>}. The template refuses system messages; numatp puts each in
     * front of the next user message, followed by a blank line (as llama.cpp does).
     */
    private static void mistral(List<Message> messages, List<Part> out) {
        special(out, BOS);
        StringBuilder system = new StringBuilder();
        for (Message m : messages) {
            switch (m.role()) {
                case "system" -> system.append(m.content()).append("\n\n");
                case "user" -> {
                    text(out, "[INST] " + system + m.content() + " [/INST]");
                    system.setLength(0);
                }
                case "assistant" -> {
                    text(out, m.content());
                    special(out, EOS);
                }
                default -> throw unknownRole(m);
            }
        }
        if (!system.isEmpty()) { // a system message with no user message after it still reaches the model
            text(out, "[INST] " + system.toString().stripTrailing() + " [/INST]");
        }
    }

    private static void text(List<Part> out, String s) {
        out.add(new Part(s, false));
    }

    private static void special(List<Part> out, String piece) {
        out.add(new Part(piece, true));
    }

    private static IllegalArgumentException unknownRole(Message m) {
        return new IllegalArgumentException("role must be system, user or assistant: " + m.role());
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    @Override
    public String toString() {
        return describe();
    }
}
