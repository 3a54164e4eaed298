package org.sigillum.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * A token's state for status pages and the command line.
 *
 * @param signaturesLeft for an activated mass token with a count limit
 * @param activeUntil for an activated mass token with a time limit
 * @param detail for a person: why missing, failed or locked; PIN tries left; never a secret
 * @param signaturesPerSecond what the token itself has been measured to do (its own signing time,
 *        without queueing), for capacity planning; empty until it has signed
 */
public record TokenStatus(String id, ActivationMode mode, TokenState state, OptionalLong signaturesLeft,
        Optional<Instant> activeUntil, String detail, OptionalDouble signaturesPerSecond) {

    public TokenStatus {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(state, "state");
        signaturesLeft = signaturesLeft == null ? OptionalLong.empty() : signaturesLeft;
        activeUntil = activeUntil == null ? Optional.empty() : activeUntil;
        detail = detail == null ? "" : detail;
        signaturesPerSecond = signaturesPerSecond == null ? OptionalDouble.empty() : signaturesPerSecond;
    }

    /** Without a measured rate (tokens of API 0.3 and software keys). */
    public TokenStatus(String id, ActivationMode mode, TokenState state, OptionalLong signaturesLeft,
            Optional<Instant> activeUntil, String detail) {
        this(id, mode, state, signaturesLeft, activeUntil, detail, OptionalDouble.empty());
    }

    public static TokenStatus of(String id, ActivationMode mode, TokenState state, String detail) {
        return new TokenStatus(id, mode, state, OptionalLong.empty(), Optional.empty(), detail);
    }
}
