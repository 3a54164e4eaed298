package org.sigillum.api;

import java.security.cert.X509Certificate;
import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/** Fetches revocation data (OCSP first, CRL as fallback) for a chain and checks it. */
@ConsumerType
public interface RevocationSource {

    /**
     * @param chain the certificate first, then its issuers up to the anchor
     * @return data proving no certificate of the chain is revoked; a revoked one is
     *         {@link Reason#CERTIFICATE_INVALID}, no answer is {@link Reason#REVOCATION_UNAVAILABLE}
     */
    RevocationData revocationData(List<X509Certificate> chain) throws SigningException;
}
