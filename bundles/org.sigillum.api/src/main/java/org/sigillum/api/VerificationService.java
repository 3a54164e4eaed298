package org.sigillum.api;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** Verifies signed files of any installed format against the configured trust anchors. */
@ProviderType
public interface VerificationService {

    /**
     * Checks every signature in {@code signed}. Fails with {@link Reason#FORMAT_UNAVAILABLE} when no
     * installed verifier understands the file and with {@link Reason#BAD_INPUT} when it is broken.
     */
    List<SignatureCheck> verify(Document signed, Optional<Content> detachedData) throws SigningException;
}
