package numatp.server;

import numatp.server.ChatTemplate.Message;
import numatp.server.JinjaTemplate.RenderException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Python-isms real chat templates use, and the sandbox around templates from model files. */
@Timeout(60)
class JinjaTemplateTest {
    static final List<Message> CHAT = ChatTemplateTest.CHAT; // system, user, assistant, user

    private static String render(String jinja) {
        return new JinjaTemplate(jinja).render(CHAT, "<s>", "</s>");
    }

    private static RenderException fails(String jinja) {
        return assertThrows(RenderException.class, () -> render(jinja));
    }

    @Test
    void providesTheVariablesChatTemplatesExpect() {
        assertEquals("<s>|</s>|true|4|system|Tell me a story.",
                render("{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}|{{ messages|length }}"
                        + "|{{ messages[0]['role'] }}|{{ messages[-1].content }}"));
    }

    @Test
    void pythonStringMethods() {
        assertEquals("a b|x |  x|True|False|True|ABC|abc|Hello World|Hello|a,b,c|x;y;z|2|1|-1|a-b",
                render("{{ '  a b  '.strip() }}|{{ '  x '.lstrip() }}|{{ '  x\\n'.rstrip() }}"
                        + "|{{ 'system'.startswith('sys') }}|{{ 'abc'.endswith('b') }}"
                        + "|{{ 'abc'.endswith(['x', 'c']) }}|{{ 'abc'.upper() }}|{{ 'ABC'.lower() }}"
                        + "|{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}|{{ ' a  b c '.split()|join(',') }}"
                        + "|{{ 'x,y,z'.replace(',', ';') }}|{{ 'abcb'.count('b') }}|{{ 'abc'.find('b') }}"
                        + "|{{ 'abc'.find('z') }}|{{ '-'.join(['a', 'b']) }}")
                        .replace("true", "True").replace("false", "False"));
        // Python's lstrip takes a set of characters: the t of "think" goes too.
        assertEquals("hink|answer", render("{{ '<t>think</t>answer'.split('</t>')[0].lstrip('<t>') }}"
                + "|{{ '<t>think</t>answer'.split('</t>')[-1] }}"));
        assertEquals("a|b,c", render("{{ 'a,b,c'.split(',', 1)|join('|') }}"));
        assertEquals("u|r|i", render("{{ 'user'[0] }}|{{ 'user'[-1] }}|{{ messages[1].content[1] }}"));
        assertEquals("xx", render("{{ '\\n\\nxx\\n'.strip('\\n') }}"));
    }

    @Test
    void loopsNamespacesSlicesAndRaise() {
        // The shape of Qwen's and Llama 3.1's templates: a leading system message taken apart, loop.last,
        // a namespace updated in a loop, messages reversed.
        String jinja = """
                {%- if messages[0]['role'] == 'system' %}
                    {%- set system = messages[0]['content'] %}
                    {%- set loop_messages = messages[1:] %}
                {%- else %}
                    {%- set system = '' %}
                    {%- set loop_messages = messages %}
                {%- endif %}
                {%- set ns = namespace(users=0, last_user=-1) %}
                {%- for m in messages[::-1] %}
                    {%- if m.role == 'user' and ns.last_user == -1 %}{% set ns.last_user = messages|length - 1 - loop.index0 %}{% endif %}
                {%- endfor %}
                {{- '[' + system + ']' }}
                {%- for m in loop_messages %}
                    {%- if m.role == 'user' %}{% set ns.users = ns.users + 1 %}{% endif %}
                    {{- m.role[0] + ':' + m.content }}{% if not loop.last %},{% endif %}
                {%- endfor %}
                {{- ' users=' ~ ns.users ~ ' last=' ~ ns.last_user }}
                """;
        assertEquals("[You are terse.]u:Hi!,a:Hello.,u:Tell me a story. users=2 last=3", render(jinja));
    }

    @Test
    void trimsBlocksAsHuggingFaceDoesAndKeepsTheLastNewlineOfTheOutput() {
        String jinja = "{% for m in messages %}\n  {% if m.role == 'user' %}\n{{ m.content }}\n  {% endif %}\n"
                + "{% endfor %}\n";
        assertEquals("Hi!\nTell me a story.\n", render(jinja));
        assertEquals("a\n", render("{{ 'a\\n' }}"));
    }

    @Test
    void raiseExceptionCarriesTheTemplatesMessage() {
        RenderException e = fails("{% if messages[0].role == 'system' %}{{ raise_exception('No system role!') }}"
                + "{% endif %}ok");
        assertTrue(e.raised());
        assertEquals("No system role!", e.getMessage());
    }

    @Test
    void errorsNameWhatFailed() {
        RenderException e = fails("{{ 'abc'.zfill(5) }}");
        assertFalse(e.raised());
        assertTrue(e.getMessage().contains("str has no method zfill()"), e.getMessage());
        assertTrue(fails("{% for m in messages %}").getMessage().startsWith("the chat template failed"));
        ServeException unknown = assertThrows(ServeException.class, () -> new JinjaTemplate(
                "{{ '|notafilter' }}{{ messages | nosuchfilter }}"));
        assertEquals("the chat template uses the filter nosuchfilter, which numatp's Jinja engine (Jinjava) does not"
                + " have", unknown.getMessage());
    }

    @Test
    void cannotReachJavaMethodsOrLoadFiles() {
        for (String jinja : List.of("{{ 'x'.repeat(10) }}", "{{ 'x'.getBytes() }}", "{{ messages.getClass() }}",
                "{{ messages[0].entrySet() }}", "{{ messages.subList(0, 1) }}", "{{ (1).toString() }}")) {
            RenderException e = fails(jinja);
            assertTrue(e.getMessage().contains("has no method"), jinja + ": " + e.getMessage());
        }
        for (String jinja : List.of("{% include '/etc/passwd' %}", "{% import 'pom.xml' as x %}",
                "{% extends 'numatp/server/ChatTemplate.class' %}", "{% from 'x' import y %}")) {
            RenderException e = fails(jinja);
            assertFalse(e.getMessage().contains("root:"), e.getMessage());
        }
    }

    @Test
    void boundsOutputLoopsAndStrings() {
        // 1000 x 1000 x 1000 iterations: stopped by the node budget, not run for minutes.
        RenderException e = fails("{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                + "{{ c }}{% endfor %}{% endfor %}{% endfor %}");
        assertTrue(e.getMessage().contains("ran too long"), e.getMessage());
        // A string doubled 40 times (2^40 chars) stops at the string limit.
        e = fails("{% set ns = namespace(s='xx') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"
                + "{{ ns.s|length }}");
        assertFalse(e.raised());
        // str.replace that would make 25M chars from 5000.
        e = fails("{% set s = '" + "y".repeat(5000) + "' %}{{ s.replace('y', s)|length }}");
        assertTrue(e.getMessage().contains("would make a string of 25000000 characters"), e.getMessage());
    }
}
