package org.sigillum.api;

import java.time.Instant;
import java.util.Objects;

/**
 * An RFC 3161 time-stamp token.
 *
 * @param encoded the DER {@code TimeStampToken} (a CMS ContentInfo)
 * @param genTime the time the TSA certifies
 * @param authority which configured authority issued it, for the audit log
 */
public record TimeStamp(byte[] encoded, Instant genTime, String authority) {
    public TimeStamp {
        encoded = Objects.requireNonNull(encoded, "encoded").clone();
        Objects.requireNonNull(genTime, "genTime");
    }

    @Override
    public byte[] encoded() {
        return encoded.clone();
    }
}
