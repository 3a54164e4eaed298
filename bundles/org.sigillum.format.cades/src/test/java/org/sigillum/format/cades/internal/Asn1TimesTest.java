package org.sigillum.format.cades.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;

import org.junit.jupiter.api.Test;

class Asn1TimesTest {
    @Test
    void roundTripsAgreeWithBouncyCastle() throws Exception {
        for (String t : new String[] { "2026-11-25T13:05:07Z", "1950-01-01T00:00:00Z", "2049-12-31T23:59:59Z", "2050-01-01T00:00:00Z",
                "1949-12-31T23:59:59Z" }) {
            Instant i = Instant.parse(t);
            var time = Asn1Times.time(i);
            assertEquals(i, time.getDate().toInstant(), t);
            assertEquals(i, Asn1Times.read(time).orElseThrow(), t);
        }
    }
}
