package org.sigillum.tsa.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.sigillum.tsa.internal.Admission.Verdict;

class AdmissionTest {

    @Test
    void oneAddressGetsItsShareAndTheOthersStillGetIn() {
        Admission a = new Admission(5, 2);
        assertEquals(Verdict.ADMITTED, a.enter("10.0.0.1"));
        assertEquals(Verdict.ADMITTED, a.enter("10.0.0.1"));
        assertEquals(Verdict.ADDRESS_BUSY, a.enter("10.0.0.1"));
        assertEquals(Verdict.ADMITTED, a.enter("10.0.0.2"));
        assertEquals(3, a.inFlight(), "a refusal holds nothing");
        a.leave("10.0.0.1");
        assertEquals(Verdict.ADMITTED, a.enter("10.0.0.1"), "a finished request frees its place");
    }

    @Test
    void theOverallCapHoldsAcrossAddresses() {
        Admission a = new Admission(3, 2);
        assertEquals(Verdict.ADMITTED, a.enter("10.0.0.1"));
        assertEquals(Verdict.ADMITTED, a.enter("10.0.0.2"));
        assertEquals(Verdict.ADMITTED, a.enter("10.0.0.3"));
        assertEquals(Verdict.BUSY, a.enter("10.0.0.4"));
        assertEquals(3, a.inFlight());
        a.leave("10.0.0.2");
        assertEquals(Verdict.ADMITTED, a.enter("10.0.0.4"));
    }

    @Test
    void ipv6CountsPerSlash64() {
        assertEquals(Admission.key("2001:db8:0:1::1"), Admission.key("[2001:db8:0:1:ffff::2]"));
        Admission a = new Admission(10, 1);
        assertEquals(Verdict.ADMITTED, a.enter("2001:db8:0:1::1"));
        assertEquals(Verdict.ADDRESS_BUSY, a.enter("2001:db8:0:1::2"), "another address of the same /64");
        assertEquals(Verdict.ADMITTED, a.enter("2001:db8:0:2::1"));
        assertEquals("127.0.0.1", Admission.key("127.0.0.1"));
    }
}
