package org.sigillum.api;

import java.security.cert.X509Certificate;
import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A key that signs: a software key store, a signature card or an HSM. It never hands out the private
 * key. Registered as a whiteboard service with {@value #ID_PROPERTY}{@code =<id>}; a profile names
 * the tokens it may use, and the core pools them.
 *
 * <p>PIN policy is part of the token: a {@link ActivationMode#MASS} token is activated once and
 * enforces its own count and time limits (they survive a restart); an
 * {@link ActivationMode#INDIVIDUAL} token needs a {@link Pin} with each call, uses it once and
 * wipes it. A wrong PIN is reported with {@link Reason#PIN_INCORRECT} and never retried.
 */
@ConsumerType
public interface SigningToken {

    String ID_PROPERTY = "sigillum.token.id";

    String id();

    TokenStatus status();

    /** The signer's certificate first, then its issuers as far as the token knows them. */
    List<X509Certificate> certificateChain() throws SigningException;

    /**
     * Signs {@code data}, hashing it with the algorithm's digest.
     *
     * @param pin the PIN for an individual token, otherwise null
     */
    byte[] sign(byte[] data, SignatureAlgorithm algorithm, Pin pin) throws SigningException;

    /**
     * Signs a digest computed by the caller (for large documents and for cards that hash poorly).
     * {@code digest} must be as long as the algorithm's digest.
     */
    byte[] signDigest(byte[] digest, SignatureAlgorithm algorithm, Pin pin) throws SigningException;

    /** Activates a mass-signature token; the PIN is wiped afterwards, whatever the outcome. */
    void activate(Pin pin) throws SigningException;

    /** Ends an activation; the next signature needs a new one. */
    void deactivate();
}
