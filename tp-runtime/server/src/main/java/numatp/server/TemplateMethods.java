package numatp.server;

import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.objects.collections.PyList;
import com.hubspot.jinjava.util.ForLoop;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The methods a chat template may call, and nothing else. Hugging Face templates are
 * Python's Jinja: they call {@code str} methods ({@code content.strip()},
 * {@code role.startswith('sys')}, {@code text.split('</think>')}), which Jinjava would
 * look up as Java methods (and miss, or find Java's namesakes, which differ). Here each
 * is implemented with Python's meaning. Dict and list methods templates use
 * ({@code get}, {@code items}, {@code append}...) go to Jinjava's Python-like collections;
 * filters and tests go to Jinjava. Any other call fails the render, so a template cannot
 * reach arbitrary Java methods of the objects it sees ({@code 'x'.repeat(...)},
 * {@code getBytes}...). Results are bounded by {@code maxChars}, as Jinjava bounds its own
 * strings. Property access is Jinjava's (read-only).
 */
final class TemplateMethods extends ELResolver {
    private static final ELResolver JINJAVA = JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY;
    private static final Set<String> MAP_METHODS = Set.of("get", "items", "keys", "values");
    private static final Set<String> LIST_METHODS = Set.of("append", "extend", "insert", "pop", "index", "count",
            "reverse", "copy");

    private final long maxChars;

    TemplateMethods(long maxChars) {
        this.maxChars = maxChars;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        String name = String.valueOf(method);
        Object[] args = params == null ? new Object[0] : params;
        if (base instanceof String s) {
            context.setPropertyResolved(true);
            return string(s, name, args);
        }
        boolean allowed = base instanceof Filter && name.equals("filter")
                || base instanceof ExpTest && (name.equals("evaluate") || name.equals("evaluateNegated"))
                || base instanceof Map<?, ?> && MAP_METHODS.contains(name)
                || base instanceof PyList && LIST_METHODS.contains(name)
                || base instanceof ForLoop && name.equals("cycle");
        if (!allowed) {
            throw new ELException(typeName(base) + " has no method " + name + "() in a chat template");
        }
        return JINJAVA.invoke(context, base, method, paramTypes, params);
    }

    /** Python's {@code str} methods that chat templates use. */
    private Object string(String s, String name, Object[] a) {
        return switch (name) {
            case "strip" -> strip(s, chars(a, name), true, true);
            case "lstrip" -> strip(s, chars(a, name), true, false);
            case "rstrip" -> strip(s, chars(a, name), false, true);
            case "startswith" -> affix(s, name, a, true);
            case "endswith" -> affix(s, name, a, false);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT)
                    + s.substring(1).toLowerCase(Locale.ROOT);
            case "split" -> split(s, name, a);
            case "replace" -> replace(s, name, a);
            case "join" -> join(s, name, a);
            case "find" -> s.indexOf(str(arg(a, 0, name), name));
            case "count" -> count(s, str(arg(a, 0, name), name));
            case "isspace" -> !s.isEmpty() && s.isBlank();
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            default -> throw new ELException("str has no method " + name + "() in a chat template");
        };
    }

    /** Python's strip: whitespace when {@code chars} is null, else any of {@code chars}. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int from = 0;
        int to = s.length();
        while (left && from < to && stripped(s.charAt(from), chars)) {
            from++;
        }
        while (right && to > from && stripped(s.charAt(to - 1), chars)) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : chars.indexOf(c) >= 0;
    }

    private static String chars(Object[] a, String name) {
        return a.length == 0 || a[0] == null ? null : str(a[0], name);
    }

    /** startswith/endswith with a string or a list (Python: tuple) of them. */
    private static boolean affix(String s, String name, Object[] a, boolean start) {
        Object p = arg(a, 0, name);
        if (p instanceof Collection<?> options) {
            for (Object o : options) {
                if (affix(s, str(o, name), start)) {
                    return true;
                }
            }
            return false;
        }
        return affix(s, str(p, name), start);
    }

    private static boolean affix(String s, String p, boolean start) {
        return start ? s.startsWith(p) : s.endsWith(p);
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    /** Python's split: on runs of whitespace without a separator, else on each separator; maxsplit honoured. */
    private static List<String> split(String s, String name, Object[] a) {
        String sep = a.length == 0 || a[0] == null ? null : str(a[0], name);
        int max = a.length > 1 ? (int) integer(a[1], name) : -1;
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i == s.length()) {
                    return out;
                }
                if (max >= 0 && out.size() == max) {
                    out.add(strip(s.substring(i), null, false, true));
                    return out;
                }
                int j = i;
                while (j < s.length() && !Character.isWhitespace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw new ELException("str.split(): empty separator");
        }
        int from = 0;
        int at;
        while ((max < 0 || out.size() < max) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private String replace(String s, String name, Object[] a) {
        String old = str(arg(a, 0, name), name);
        String by = str(arg(a, 1, name), name);
        long count = a.length > 2 ? integer(a[2], name) : -1;
        long hits = count(s, old) + (old.isEmpty() ? 1 : 0);
        long n = count < 0 ? hits : Math.min(count, hits);
        checkLength(s.length() + n * (by.length() - old.length()), name);
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (long k = 0; k < n; k++) {
            if (old.isEmpty()) {
                out.append(by);
                if (from < s.length()) {
                    out.append(s.charAt(from));
                }
                from++;
                continue;
            }
            int at = s.indexOf(old, from);
            out.append(s, from, at).append(by);
            from = at + old.length();
        }
        if (from < s.length()) {
            out.append(s, from, s.length());
        }
        return out.toString();
    }

    private String join(String sep, String name, Object[] a) {
        Object items = arg(a, 0, name);
        if (!(items instanceof Iterable<?> it)) {
            throw new ELException("str.join() takes a list, got " + typeName(items));
        }
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object o : it) {
            if (!first) {
                out.append(sep);
            }
            out.append(str(o, name));
            first = false;
            checkLength(out.length(), name);
        }
        return out.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private void checkLength(long chars, String name) {
        if (chars > maxChars) {
            throw new ELException("str." + name + "() would make a string of " + chars + " characters; the limit is "
                    + maxChars);
        }
    }

    private static Object arg(Object[] a, int i, String name) {
        if (i >= a.length) {
            throw new ELException("str." + name + "() needs " + (i + 1) + " argument" + (i == 0 ? "" : "s"));
        }
        return a[i];
    }

    private static String str(Object o, String name) {
        if (o instanceof String s) {
            return s;
        }
        throw new ELException("str." + name + "() takes strings, got " + typeName(o));
    }

    private static long integer(Object o, String name) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        throw new ELException("str." + name + "() takes an integer count, got " + typeName(o));
    }

    private static String typeName(Object o) {
        return switch (o) {
            case null -> "none";
            case String s -> "str";
            case Map<?, ?> m -> "dict";
            case Collection<?> c -> "list";
            case Number n -> "number";
            case Boolean b -> "bool";
            default -> o.getClass().getSimpleName();
        };
    }

    // Everything but method calls is Jinjava's own (read-only) resolution.

    /** Jinjava's, and Python's {@code s[i]} on strings (negative from the end). */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        Long index = base instanceof String ? index(property) : null;
        if (index != null) {
            String s = (String) base;
            long i = index < 0 ? s.length() + index : index;
            if (i < 0 || i >= s.length()) {
                throw new ELException("string index out of range: " + index + " in a string of " + s.length());
            }
            context.setPropertyResolved(true);
            return String.valueOf(s.charAt((int) i));
        }
        return JINJAVA.getValue(context, base, property);
    }

    /** An integer index as Jinjava hands it over: a number, or (after a dotted name) its digits. */
    private static Long index(Object property) {
        if (property instanceof Number n) {
            return n.longValue();
        }
        if (property instanceof String p && p.matches("-?[0-9]{1,18}")) {
            return Long.parseLong(p);
        }
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return JINJAVA.getType(context, base, property);
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        JINJAVA.setValue(context, base, property, value);
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return JINJAVA.isReadOnly(context, base, property);
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return JINJAVA.getFeatureDescriptors(context, base);
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return JINJAVA.getCommonPropertyType(context, base);
    }
}
