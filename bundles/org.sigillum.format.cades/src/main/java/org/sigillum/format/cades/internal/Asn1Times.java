package org.sigillum.format.cades.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.cms.Time;

/**
 * CMS signing times without Bouncy Castle's SimpleDateFormat round trips, which cost more per
 * signature than hashing a 100 KB document. Only the DER forms CMS allows (RFC 5652 §11.3) are
 * produced; anything else is read through Bouncy Castle.
 */
final class Asn1Times {
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GENERALIZED = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);

    private Asn1Times() {
    }

    /** UTCTime for 1950–2049, GeneralizedTime outside, as RFC 5652 requires; whole seconds. */
    static Time time(Instant t) {
        int year = t.atZone(ZoneOffset.UTC).getYear();
        boolean utc = year >= 1950 && year < 2050;
        String s = (utc ? UTC : GENERALIZED).format(t);
        byte[] text = s.getBytes(StandardCharsets.US_ASCII);
        byte[] der = new byte[text.length + 2];
        der[0] = (byte) (utc ? 0x17 : 0x18);
        der[1] = (byte) text.length;
        System.arraycopy(text, 0, der, 2, text.length);
        try {
            return Time.getInstance(ASN1Primitive.fromByteArray(der));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Optional<Instant> read(ASN1Encodable value) {
        try {
            ASN1Primitive p = value.toASN1Primitive();
            if (p instanceof ASN1UTCTime u) {
                String s = u.getTime();
                if (s.length() == 13 && s.endsWith("Z")) {
                    LocalDateTime l = LocalDateTime.parse(s.substring(0, 12), DateTimeFormatter.ofPattern("yyMMddHHmmss"));
                    int yy = l.getYear() % 100;
                    l = l.withYear(yy >= 50 ? 1900 + yy : 2000 + yy);
                    return Optional.of(l.toInstant(ZoneOffset.UTC));
                }
            } else if (p instanceof ASN1GeneralizedTime g) {
                String s = g.getTime();
                if (s.length() == 15 && s.endsWith("Z")) {
                    return Optional.of(LocalDateTime.parse(s.substring(0, 14), DateTimeFormatter.ofPattern("yyyyMMddHHmmss"))
                            .toInstant(ZoneOffset.UTC));
                }
            }
            return Optional.of(Time.getInstance(p).getDate().toInstant());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
