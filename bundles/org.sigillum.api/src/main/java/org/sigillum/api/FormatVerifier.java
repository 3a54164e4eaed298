package org.sigillum.api;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Checks the signatures of one format, registered with {@value FormatSigner#FORMAT_PROPERTY} like
 * its signer. It checks integrity only; path validation is the core's.
 */
@ConsumerType
public interface FormatVerifier {

    /** Cheap test whether this verifier understands the file (by its first bytes, not its name). */
    boolean accepts(Document signed);

    /**
     * One verdict per signature found. {@code detachedData} is the signed data for a detached
     * signature. A file that cannot be parsed is {@link Reason#BAD_INPUT}.
     */
    List<SignatureVerdict> verify(Document signed, Optional<Content> detachedData) throws SigningException;
}
