package org.sigillum.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of checking an evidence record, or the chain of seals.
 *
 * @param valid everything checked holds
 * @param provenTime the earliest time the record proves the data existed (its first time stamp)
 * @param lines what was checked and what failed, for a person
 */
public record ArchiveProof(boolean valid, Optional<Instant> provenTime, List<String> lines) {
    public ArchiveProof {
        provenTime = provenTime == null ? Optional.empty() : provenTime;
        lines = List.copyOf(lines);
    }
}
