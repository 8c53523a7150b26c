package numatp.collectives;

import java.util.List;

/** Lets tests in sub-packages use {@link RankThreads}. */
public final class RankThreadsAccess {
    private RankThreadsAccess() {
    }

    public interface Body {
        void run(Communicator communicator) throws Exception;
    }

    public static void run(List<Communicator> ranks, Body body) throws InterruptedException {
        RankThreads.run(ranks, "test", body::run);
    }
}
