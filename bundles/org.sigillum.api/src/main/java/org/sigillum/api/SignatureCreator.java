package org.sigillum.api;

import java.security.cert.X509Certificate;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The signing key as a format signer sees it: one token chosen by the core for this document, with
 * the profile's PIN policy already applied. It signs exactly what the format hands it.
 */
@ProviderType
public interface SignatureCreator {

    /** The signer's certificate first, then its issuers as far as the token knows them. */
    List<X509Certificate> certificateChain();

    /** The algorithm to use, from the key kind, the profile's digest and padding. */
    SignatureAlgorithm algorithm();

    /** Signs {@code data} (the token hashes it). */
    byte[] sign(byte[] data) throws SigningException;
}
