package numatp.runtime.serve;

import java.util.List;

/**
 * The chat template: one plain-text transcript for every model (numatp does not read
 * templates from model files yet). System messages become paragraphs, user and assistant
 * turns become {@code User: ...} and {@code Assistant: ...} lines, and the prompt ends
 * with {@code Assistant:} for the model to continue:
 *
 * <pre>
 * You are terse.
 *
 * User: Hi!
 * Assistant: Hello.
 * User: Tell me a story.
 * Assistant:</pre>
 *
 * Generation also stops at {@link #STOP} so the model does not write the user's next turn.
 */
public final class ChatTemplate {
    /** The stop string every chat request gets besides its own. */
    public static final String STOP = "\nUser:";

    /** One message: role {@code system}, {@code user} or {@code assistant}, and its text. */
    public record Message(String role, String content) {
    }

    private ChatTemplate() {
    }

    public static String render(List<Message> messages) {
        StringBuilder out = new StringBuilder();
        for (Message m : messages) {
            switch (m.role()) {
                case "system" -> out.append(m.content()).append("\n\n");
                case "user" -> out.append("User: ").append(m.content()).append('\n');
                case "assistant" -> out.append("Assistant: ").append(m.content()).append('\n');
                default -> throw new IllegalArgumentException("role " + m.role());
            }
        }
        return out.append("Assistant:").toString();
    }
}
