package org.sigillum.api;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A format verifier's finding for one signature: whether its value and signed attributes are
 * intact. Trust in the certificate path is decided afterwards by the {@link VerificationService}.
 *
 * @param intact the signature value verifies with the signer's key and covers the data
 * @param chain the signer's certificate first, then issuers found in the signature; empty if none
 * @param claimedSigningTime the signing time the signer claims, if any
 * @param timeStampTime the time of a signature time stamp, if any
 * @param level the baseline level the signature's structure reaches, if it reaches one
 * @param problem why it is not intact or not of a baseline level, for a person; null when none
 * @param timeStampChain the signature time stamp's TSA certificate first, then issuers found in
 *        the token; empty without a time stamp. The core decides whether that authority is trusted.
 */
public record SignatureVerdict(boolean intact, List<X509Certificate> chain, Optional<Instant> claimedSigningTime,
        Optional<Instant> timeStampTime, Optional<SignatureLevel> level, String problem,
        List<X509Certificate> timeStampChain) {

    public SignatureVerdict {
        chain = List.copyOf(chain);
        timeStampChain = timeStampChain == null ? List.of() : List.copyOf(timeStampChain);
        claimedSigningTime = claimedSigningTime == null ? Optional.empty() : claimedSigningTime;
        timeStampTime = timeStampTime == null ? Optional.empty() : timeStampTime;
        level = level == null ? Optional.empty() : level;
    }

    /** A verdict without a time stamp. */
    public SignatureVerdict(boolean intact, List<X509Certificate> chain, Optional<Instant> claimedSigningTime,
            Optional<SignatureLevel> level, String problem) {
        this(intact, chain, claimedSigningTime, Optional.empty(), level, problem, List.of());
    }

    public Optional<X509Certificate> signer() {
        return chain.isEmpty() ? Optional.empty() : Optional.of(chain.get(0));
    }
}
