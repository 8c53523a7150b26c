package numatp.models.tp;

import numatp.models.ModelException;

/**
 * A step failed because a part of the engine is gone (a worker process died or left its
 * collectives), not because of its arguments: the message names the part and how it ended. The
 * engine is then {@linkplain SequenceEngine#broken broken} until it {@linkplain SequenceEngine#recover
 * recovers}; a server answers the requests in flight as unavailable (503), not as its own error.
 */
public class EngineUnavailableException extends ModelException {
    public EngineUnavailableException(String message) {
        super(message);
    }
}
