package org.sigillum.api;

import java.util.Objects;
import java.util.Optional;

/**
 * Everything a format signer needs besides the document: parameters, the key, and the services for
 * levels above B (absent when none is installed; a signer asked for a level it cannot reach fails
 * with the matching retryable reason).
 */
public record SignatureContext(SignatureParameters parameters, SignatureCreator creator,
        Optional<TimeStampSource> timeStamps, Optional<RevocationSource> revocation) {

    public SignatureContext {
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(creator, "creator");
        timeStamps = timeStamps == null ? Optional.empty() : timeStamps;
        revocation = revocation == null ? Optional.empty() : revocation;
    }
}
