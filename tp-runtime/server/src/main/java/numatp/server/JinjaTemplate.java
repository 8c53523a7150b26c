package numatp.server;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaNodePreProcessor;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpretException;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;

import java.io.IOException;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's own chat template ({@code tokenizer.chat_template}), run by Jinjava as Hugging
 * Face's {@code apply_chat_template} runs it: the variables {@code messages} (a list of
 * {@code {role, content}}), {@code add_generation_prompt} (true), {@code bos_token},
 * {@code eos_token}, and the functions {@code raise_exception(message)} and
 * {@code strftime_now(format)}. Python's {@code str} methods are provided by
 * {@link TemplateMethods}; {@code x[::-1]} is read as {@code x|reverse|list}.
 *
 * <p>The template is data from a model file, so the engine is sandboxed: it cannot load
 * other templates ({@code include}, {@code import}, {@code extends} fail), call Java
 * methods, or grow without bound: output and strings are capped at {@link #MAX_CHARS},
 * lists and maps at {@link #MAX_ITEMS}, {@code range} at 1000 and each render at
 * {@link #MAX_NODES_BASE} plus {@link #MAX_NODES_PER_MESSAGE} node visits per message.
 * Any error the render reports, including a warning, fails it: a prompt built past an
 * error is not the prompt the template means. Immutable and thread-safe.
 */
final class JinjaTemplate {
    /** Longest output (and string) a render may build, in chars. */
    static final long MAX_CHARS = 16L << 20;
    /** Largest list or map a template may build. */
    static final int MAX_ITEMS = 100_000;
    static final int MAX_NODES_BASE = 100_000;
    static final int MAX_NODES_PER_MESSAGE = 1_000;
    private static final Pattern TAG = Pattern.compile("\\{[{%].*?[}%]}", Pattern.DOTALL);
    private static final Pattern FILTER = Pattern.compile("\\|\\s*([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern STRING = Pattern.compile("'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final ThreadLocal<long[]> NODE_BUDGET = new ThreadLocal<>(); // [nodes left] of this thread's render

    private final String source;
    private final String jinja; // source with the Python-isms Jinjava lacks rewritten
    private final Jinjava engine;

    /** A render that failed: the template raised, or broke; {@code message} says which and why. */
    static final class RenderException extends ServeException {
        private final boolean raised;

        RenderException(String message, boolean raised) {
            super(message);
            this.raised = raised;
        }

        /** Whether the template itself refused the conversation ({@code raise_exception}). */
        boolean raised() {
            return raised;
        }
    }

    /** What {@code raise_exception} throws; Jinjava wraps it, {@link #failure} finds it again. */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message, null, false, false);
        }
    }

    JinjaTemplate(String source) {
        this.source = source;
        this.jinja = rewrite(source);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withElResolver(new TemplateMethods(MAX_CHARS))
                .withMaxOutputSize(MAX_CHARS)
                .withMaxStringLength(MAX_CHARS)
                .withMaxListSize(MAX_ITEMS)
                .withMaxMapSize(MAX_ITEMS)
                .withRangeLimit(1000)
                .withMaxRenderDepth(10)
                .withEnableRecursiveMacroCalls(false)
                .withNestedInterpretationEnabled(false)
                .withFailOnUnknownTokens(false)
                // as Hugging Face's environment: trim_blocks, lstrip_blocks, and (Jinja's default) a single
                // newline at the end of the source dropped, which rewrite() does: Jinjava's own option cuts the output
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withKeepTrailingNewline(true)
                .withTimeZone(ZoneId.of("UTC"))
                .withLocale(Locale.ROOT)
                .withDisabled(Map.of(Context.Library.TAG, Set.of("include", "import", "from", "extends")))
                .withProcessors(JinjavaProcessors.newBuilder().withNodePreProcessor(new Budget()).build())
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .withWhitespaceRequiredWithinTokens(false)
                        .build())
                .build();
        this.engine = new Jinjava(config);
        engine.setResourceLocator((name, encoding, interpreter) -> {
            throw new IOException("a chat template cannot load other templates: " + name);
        });
        engine.registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaTemplate.class,
                "raiseException", Object.class));
        engine.registerFunction(new ELFunctionDefinition("", "strftime_now", JinjaTemplate.class,
                "strftimeNow", String.class));
        checkFilters();
    }

    /** Jinjava leaves a value alone under a filter it does not know; Jinja refuses the template, and so does this. */
    private void checkFilters() {
        Matcher tag = TAG.matcher(jinja);
        while (tag.find()) {
            Matcher f = FILTER.matcher(STRING.matcher(tag.group()).replaceAll("''"));
            while (f.find()) {
                if (engine.getGlobalContext().getFilter(f.group(1)) == null) {
                    throw new ServeException("the chat template uses the filter " + f.group(1)
                            + ", which numatp's Jinja engine (Jinjava) does not have");
                }
            }
        }
    }

    String source() {
        return source;
    }

    /**
     * The text the template renders for {@code messages}, ready for the assistant's reply.
     *
     * @throws RenderException naming the template's error
     */
    String render(List<ChatTemplate.Message> messages, String bosToken, String eosToken) {
        List<Map<String, Object>> ms = new ArrayList<>(messages.size());
        for (ChatTemplate.Message m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            ms.add(map);
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", ms);
        vars.put("add_generation_prompt", true);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        long[] previous = NODE_BUDGET.get();
        NODE_BUDGET.set(new long[] {MAX_NODES_BASE + (long) MAX_NODES_PER_MESSAGE * messages.size()});
        RenderResult r;
        try {
            r = engine.renderForResult(jinja, vars);
        } catch (RuntimeException e) { // Jinjava reports errors in the result; anything thrown is a failure too
            throw new RenderException("the chat template failed: " + describe(e), raisedIn(e) != null);
        } finally {
            NODE_BUDGET.set(previous);
        }
        if (!r.getErrors().isEmpty()) {
            throw failure(r.getErrors().getFirst());
        }
        return r.getOutput();
    }

    private static RenderException failure(TemplateError e) {
        Raised raised = raisedIn(e.getException());
        if (raised != null) {
            return new RenderException(raised.getMessage(), true);
        }
        String where = e.getLineno() > 0 ? " (line " + e.getLineno() + ")" : "";
        return new RenderException("the chat template failed" + where + ": " + e.getMessage(), false);
    }

    private static Raised raisedIn(Throwable t) {
        for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t instanceof Raised r) {
                return r;
            }
        }
        return null;
    }

    private static String describe(Throwable e) {
        Raised r = raisedIn(e);
        return r != null ? r.getMessage() : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * The source as Jinjava should read it: Python slicing it cannot parse rewritten inside
     * tags ({@code x[::-1]} is {@code x|reverse|list}), and one trailing newline dropped.
     */
    static String rewrite(String source) {
        Matcher m = TAG.matcher(source);
        StringBuilder out = new StringBuilder(source.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group().replace("[::-1]", "|reverse|list")));
        }
        m.appendTail(out);
        int n = out.length();
        if (n > 0 && out.charAt(n - 1) == '\n') {
            out.setLength(n > 1 && out.charAt(n - 2) == '\r' ? n - 2 : n - 1);
        }
        return out.toString();
    }

    /** {@code raise_exception(message)}: the template refuses the conversation. */
    public static Object raiseException(Object message) {
        throw new Raised(String.valueOf(message));
    }

    /** {@code strftime_now(format)}: the current UTC time in Python's strftime format. */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(ZoneId.of("UTC")), format, Locale.ROOT);
    }

    /** Counts node visits of the current render and stops it past its budget (and on interrupt, as Jinjava does). */
    private static final class Budget extends JinjavaNodePreProcessor {
        @Override
        public void accept(Node node, JinjavaInterpreter interpreter) {
            super.accept(node, interpreter);
            long[] left = NODE_BUDGET.get();
            if (left != null && --left[0] < 0) {
                throw new InterpretException("the chat template ran too long (over its budget of node visits)",
                        node.getLineNumber(), node.getStartPosition());
            }
        }
    }
}
