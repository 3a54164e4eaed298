package org.sigillum.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Obtains RFC 3161 time stamps, from one trust centre or several with failover. All authorities
 * failing is {@link Reason#TSA_UNAVAILABLE} (retryable); a response that fails its checks counts
 * as a failure of that authority, never as a stamp.
 */
@ConsumerType
public interface TimeStampSource {

    TimeStamp timeStamp(DigestAlgorithm digest, byte[] messageImprint) throws SigningException;
}
