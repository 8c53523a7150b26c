package numatp.server;

import java.io.IOException;
import java.time.Duration;

/**
 * A server over the built-in model in a JVM of its own, for {@link HttpLimitsTest}: the JDK
 * fixes its HTTP limits when the first server of a JVM starts. Arguments: read timeout
 * seconds, max connections. Prints {@code port N}, serves until its stdin closes.
 */
public final class LimitsServerMain {
    private LimitsServerMain() {
    }

    public static void main(String[] args) throws IOException {
        ServeConfig config = ServeConfig.defaults(BuiltinModel.ID, 0)
                .withReadTimeout(Duration.ofSeconds(Long.parseLong(args[0])))
                .withMaxConnections(Integer.parseInt(args[1]));
        try (ServeFixture serve = ServeFixture.builtin(1, BuiltinModel.tokenizer(), config)) {
            System.out.println("port " + serve.server.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the test closes our stdin (or dies)
            }
        }
    }
}
