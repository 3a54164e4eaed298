package org.sigillum.api;

import java.util.Objects;

/**
 * A signature verdict with the core's path check: {@code trusted} when the signer's certificate was
 * valid at signing time and chains to a configured trust anchor.
 */
public record SignatureCheck(SignatureVerdict verdict, boolean trusted, String trustProblem) {
    public SignatureCheck {
        Objects.requireNonNull(verdict, "verdict");
    }

    public boolean valid() {
        return verdict.intact() && trusted;
    }

    /** The reason to show when not valid; null when valid. */
    public String problem() {
        if (!verdict.intact()) {
            return verdict.problem();
        }
        return trusted ? null : trustProblem;
    }
}
