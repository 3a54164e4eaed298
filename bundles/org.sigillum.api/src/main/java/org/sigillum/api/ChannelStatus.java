package org.sigillum.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a channel instance is doing. Batch counts cover the time since the instance started;
 * document counts likewise.
 *
 * @param kind the channel type, {@code hotfolder} or {@code mail}
 * @param name the instance's configured name
 * @param problem why the instance cannot work at all (misconfigured, folder missing); empty when it can
 * @param waiting why work is held back and retried (TSA down, token needs activation); empty when not
 * @param lastError the last failure a person should know about, with its time
 */
public record ChannelStatus(String kind, String name, long queuedBatches, long runningBatches, long doneBatches,
        long failedBatches, long documentsSigned, long documentsFailed, String problem, String waiting,
        String lastError, Optional<Instant> lastErrorTime) {

    public ChannelStatus {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        problem = problem == null ? "" : problem;
        waiting = waiting == null ? "" : waiting;
        lastError = lastError == null ? "" : lastError;
        lastErrorTime = lastErrorTime == null ? Optional.empty() : lastErrorTime;
    }

    public boolean healthy() {
        return problem.isEmpty();
    }
}
