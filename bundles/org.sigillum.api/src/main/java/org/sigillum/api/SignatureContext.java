package org.sigillum.api;

import java.util.Objects;
import java.util.Optional;

/**
 * Everything a format signer needs besides the document: parameters, the key, the services for
 * levels above B (absent when none is installed; a signer asked for a level it cannot reach fails
 * with the matching retryable reason), and the digest of the whole document with
 * {@code parameters.digest()}, which the core computes anyway: a format that signs the whole file
 * (CMS, detached XML) need not read it again.
 */
public record SignatureContext(SignatureParameters parameters, SignatureCreator creator,
        Optional<TimeStampSource> timeStamps, Optional<RevocationSource> revocation, Optional<byte[]> documentDigest) {

    public SignatureContext {
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(creator, "creator");
        timeStamps = timeStamps == null ? Optional.empty() : timeStamps;
        revocation = revocation == null ? Optional.empty() : revocation;
        documentDigest = documentDigest == null ? Optional.empty() : documentDigest.map(byte[]::clone);
    }

    public SignatureContext(SignatureParameters parameters, SignatureCreator creator, Optional<TimeStampSource> timeStamps,
            Optional<RevocationSource> revocation) {
        this(parameters, creator, timeStamps, revocation, Optional.empty());
    }

    @Override
    public Optional<byte[]> documentDigest() {
        return documentDigest.map(byte[]::clone);
    }
}
