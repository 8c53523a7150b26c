package numatp.server;

import numatp.models.GgufModels;
import numatp.models.tokenizer.Llama2cTokenizerFile;
import numatp.models.tokenizer.Tokenizer;
import numatp.server.ChatTemplate.Family;
import numatp.server.ChatTemplate.Message;
import numatp.topology.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each family's text for one system + user + assistant + user conversation, written by
 * hand from the family's published template, and how it is tokenized.
 */
class ChatTemplateTest {
    static final List<Message> CHAT = List.of(
            new Message("system", "You are terse."),
            new Message("user", "Hi!"),
            new Message("assistant", "Hello."),
            new Message("user", "Tell me a story."));

    private static Tokenizer tok512;

    /** tok512 from ../shared, read once; the calling test is skipped when the data is absent. */
    static synchronized Tokenizer tok512() {
        if (tok512 == null) {
            tok512 = Llama2cTokenizerFile.read(SharedData.require("models", "tok512.bin"), 512);
        }
        return tok512;
    }

    // The templates as GGUF files carry them (Hugging Face tokenizer_config.json chat_template).
    static final String LLAMA2_JINJA = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message"
            + " + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}"
            + "{% endfor %}";
    static final String LLAMA3_JINJA = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
            + "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
            + "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
    static final String CHATML_JINJA = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";
    static final String ZEPHYR_JINJA = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
            + "{{ '<|user|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
            + "{{ '<|system|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
            + "{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n{% endif %}\n"
            + "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
    static final String MISTRAL_JINJA = "{{ bos_token }}{% for message in messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
            + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
    static final String PHI3_JINJA = "{% for message in messages %}{% if message['role'] == 'user' %}"
            + "{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + '<|assistant|>' + '\\n'}}"
            + "{% elif message['role'] == 'assistant' %}{{message['content'] + '<|end|>' + '\\n'}}{% endif %}{% endfor %}";
    static final String GEMMA_JINJA = "{{ bos_token }}{% for message in messages %}"
            + "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";

    @Test
    void detectsEachFamilyByItsMarkers() {
        assertEquals(Family.LLAMA2, ChatTemplate.detect(LLAMA2_JINJA));
        assertEquals(Family.LLAMA3, ChatTemplate.detect(LLAMA3_JINJA));
        assertEquals(Family.CHATML, ChatTemplate.detect(CHATML_JINJA));
        assertEquals(Family.ZEPHYR, ChatTemplate.detect(ZEPHYR_JINJA));
        assertEquals(Family.MISTRAL, ChatTemplate.detect(MISTRAL_JINJA));
    }

    @Test
    void unknownOrMissingTemplatesFallBackToPlain() {
        assertEquals(Family.PLAIN, ChatTemplate.detect(PHI3_JINJA)); // <|user|> but Phi-3's <|end|>, not Zephyr's
        assertEquals(Family.PLAIN, ChatTemplate.detect(GEMMA_JINJA));
        assertEquals(Family.PLAIN, ChatTemplate.detect(null));
        assertEquals(Family.PLAIN, ChatTemplate.fromJinja(null).family());
        assertEquals(Family.PLAIN, ChatTemplate.fromJinja("  ").family());
        assertEquals("plain (the model has no tokenizer.chat_template)", ChatTemplate.fromJinja(null).describe());
        String gemma = ChatTemplate.fromJinja(GEMMA_JINJA).describe();
        assertTrue(gemma.startsWith("plain (tokenizer.chat_template not recognised: {{ bos_token }}"), gemma);
        assertEquals("chatml (recognised in tokenizer.chat_template)", ChatTemplate.fromJinja(CHATML_JINJA).describe());
    }

    @Test
    void plainIsTheUserAssistantTranscript() {
        assertEquals("You are terse.\n\nUser: Hi!\nAssistant: Hello.\nUser: Tell me a story.\nAssistant:",
                ChatTemplate.PLAIN.render(CHAT));
        assertEquals(List.of("\nUser:"), ChatTemplate.PLAIN.stopStrings());
    }

    @Test
    void llama2PutsTheSystemPromptInsideTheFirstInst() {
        assertEquals("<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] Tell me a story."
                + " [/INST]", ChatTemplate.of(Family.LLAMA2).render(CHAT));
        // Contents are stripped, as the template's content.strip() does.
        assertEquals("<s>[INST] Hi! [/INST] Hello. </s><s>[INST] Go [/INST]", ChatTemplate.of(Family.LLAMA2).render(
                List.of(new Message("user", " Hi! "), new Message("assistant", "Hello.\n"), new Message("user", "Go"))));
    }

    @Test
    void llama3HasHeadersAndEndOfTurnTokens() {
        assertEquals("<|begin_of_text|>"
                        + "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nTell me a story.<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                ChatTemplate.of(Family.LLAMA3).render(CHAT));
        assertEquals(List.of("<|eot_id|>"), ChatTemplate.of(Family.LLAMA3).stopStrings());
    }

    @Test
    void chatmlHasImStartAndImEnd() {
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n"
                        + "<|im_start|>user\nHi!<|im_end|>\n"
                        + "<|im_start|>assistant\nHello.<|im_end|>\n"
                        + "<|im_start|>user\nTell me a story.<|im_end|>\n"
                        + "<|im_start|>assistant\n",
                ChatTemplate.of(Family.CHATML).render(CHAT));
        assertEquals(List.of("<|im_end|>"), ChatTemplate.of(Family.CHATML).stopStrings());
    }

    @Test
    void zephyrEndsEachTurnWithEos() {
        assertEquals("<|system|>\nYou are terse.</s>\n<|user|>\nHi!</s>\n<|assistant|>\nHello.</s>\n"
                + "<|user|>\nTell me a story.</s>\n<|assistant|>\n", ChatTemplate.of(Family.ZEPHYR).render(CHAT));
        assertEquals(List.of("<|user|>"), ChatTemplate.of(Family.ZEPHYR).stopStrings());
    }

    @Test
    void mistralHasOneBosAndFoldsTheSystemPromptIntoTheNextUserTurn() {
        assertEquals("<s>[INST] You are terse.\n\nHi! [/INST]Hello.</s>[INST] Tell me a story. [/INST]",
                ChatTemplate.of(Family.MISTRAL).render(CHAT));
        assertEquals("<s>[INST] Hi! [/INST]", ChatTemplate.of(Family.MISTRAL).render(List.of(new Message("user", "Hi!"))));
    }

    @Test
    void plainEncodesAsTheWholeTextWithBos() {
        assertArrayEquals(tok512().encode(ChatTemplate.PLAIN.render(CHAT), true, false),
                ChatTemplate.PLAIN.encode(CHAT, tok512()));
        assertEquals(0, ChatTemplate.PLAIN.stopTokens(tok512()).length);
    }

    /** Llama-2 with its own vocabulary: {@code <s>[INST]} is 1, "▁[", "INST", "]", as Meta's reference tokenizes it. */
    @Test
    void llama2EncodesBosAndEosAsTokensAndEachStretchWithTheDummyPrefix() {
        Tokenizer llama = GgufModels.tokenizer(SharedData.require("models", "gguf-vocab", "ggml-vocab-llama-spm.gguf"));
        int[] ids = ChatTemplate.of(Family.LLAMA2).encode(CHAT, llama);
        assertArrayEquals(new int[] {1, 518, 25580, 29962}, Arrays.copyOf(ids, 4));
        List<Integer> expected = new ArrayList<>(List.of(1));
        add(expected, llama.encode("[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi! [/INST] Hello. ", false, false));
        expected.addAll(List.of(2, 1));
        add(expected, llama.encode("[INST] Tell me a story. [/INST]", false, false));
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), ids);
        // "[/INST]" is "▁[", "/", "INST", "]".
        assertArrayEquals(new int[] {518, 29914, 25580, 29962}, Arrays.copyOfRange(ids, ids.length - 4, ids.length));
    }

    /** A vocabulary with ChatML's special pieces: they become their ids, but only where the template puts them. */
    @Test
    void chatmlSpecialPiecesAreTokensOnlyWhereTheTemplatePutsThem() {
        Tokenizer tok = withPieces(tok512(), "<|im_start|>", "<|im_end|>");
        int imStart = 512;
        int imEnd = 513;
        ChatTemplate chatml = ChatTemplate.of(Family.CHATML);
        List<Message> chat = List.of(new Message("user", "say <|im_end|>"));
        List<Integer> expected = new ArrayList<>(List.of(Tokenizer.BOS, imStart));
        add(expected, tok.encode("user\nsay <|im_end|>", false, false));
        expected.add(imEnd);
        add(expected, tok.encode("\n", false, false));
        expected.add(imStart);
        add(expected, tok.encode("assistant\n", false, false));
        int[] ids = chatml.encode(chat, tok);
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), ids);
        assertEquals(1, Arrays.stream(ids).filter(id -> id == imEnd).count(), "the user's <|im_end|> is text");
        assertArrayEquals(new int[] {imEnd}, chatml.stopTokens(tok));
        // Without the pieces, the markers are text and there is no stop token.
        assertArrayEquals(tok512().encode(chatml.render(chat), true, false), chatml.encode(chat, tok512()));
        assertEquals(0, chatml.stopTokens(tok512()).length);
    }

    @Test
    void llama3StopsAtEotAndEndOfText() {
        Tokenizer tok = withPieces(tok512(), "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                "<|eot_id|>", "<|end_of_text|>");
        assertArrayEquals(new int[] {515, 516}, ChatTemplate.of(Family.LLAMA3).stopTokens(tok));
        int[] ids = ChatTemplate.of(Family.LLAMA3).encode(CHAT, tok);
        List<Integer> end = new ArrayList<>(List.of(513)); // the generation prompt: the assistant's header
        add(end, tok.encode("assistant", false, false));
        end.add(514);
        add(end, tok.encode("\n\n", false, false));
        assertEquals(512, ids[0]); // <|begin_of_text|> is the template's BOS: no other in front
        assertEquals(513, ids[1]);
        assertArrayEquals(end.stream().mapToInt(Integer::intValue).toArray(),
                Arrays.copyOfRange(ids, ids.length - end.size(), ids.length));
        assertEquals(4, Arrays.stream(ids).filter(id -> id == 515).count()); // one <|eot_id|> per message
    }

    @Test
    void requestParserFormatsChatsWithTheTemplateAndAddsItsStops() {
        Tokenizer tok = withPieces(tok512(), "<|im_start|>", "<|im_end|>");
        ChatTemplate chatml = ChatTemplate.of(Family.CHATML);
        RequestParser parser = new RequestParser(tok, tok.vocabSize(), 512, "m", chatml);
        String body = "{\"messages\": [{\"role\": \"developer\", \"content\": \"You are terse.\"},"
                + " {\"role\": \"user\", \"content\": \"Hi!\"}], \"stop\": \"!\", \"max_tokens\": 4}";
        GenerationRequest g = parser.parse(ApiRequest.Kind.CHAT, body.getBytes(StandardCharsets.UTF_8)).generation();
        List<Message> chat = List.of(new Message("system", "You are terse."), new Message("user", "Hi!"));
        assertArrayEquals(chatml.encode(chat, tok), g.promptTokens());
        assertEquals(List.of("!", "<|im_end|>"), g.stops());
        assertArrayEquals(new int[] {513}, g.stopTokens());
        assertTrue(g.isStopToken(513) && !g.isStopToken(512));
        // Completions are not chats: no template, no template stops.
        GenerationRequest c = parser.parse(ApiRequest.Kind.COMPLETION,
                "{\"prompt\": \"<|im_start|>\"}".getBytes(StandardCharsets.UTF_8)).generation();
        assertArrayEquals(tok.encode("<|im_start|>", true, false), c.promptTokens());
        assertEquals(List.of(), c.stops());
        assertEquals(0, c.stopTokens().length);
    }

    private static void add(List<Integer> to, int[] ids) {
        for (int id : ids) {
            to.add(id);
        }
    }

    /** {@code base}'s vocabulary with {@code extra} pieces appended (ids 512, 513, ...; score 0). */
    static Tokenizer withPieces(Tokenizer base, String... extra) {
        int n = base.vocabSize();
        byte[][] pieces = new byte[n + extra.length][];
        float[] scores = new float[pieces.length];
        for (int i = 0; i < n; i++) {
            pieces[i] = base.piece(i);
            scores[i] = base.score(i);
        }
        for (int i = 0; i < extra.length; i++) {
            pieces[n + i] = extra[i].getBytes(StandardCharsets.UTF_8);
        }
        return new Tokenizer(pieces, scores);
    }
}
