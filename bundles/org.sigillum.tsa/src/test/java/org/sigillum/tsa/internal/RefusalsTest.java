package org.sigillum.tsa.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.sigillum.tsa.internal.Refusals.Cause;

class RefusalsTest {

    @Test
    void aFloodOfRefusalsIsOneLinePerInterval() {
        AtomicLong clock = new AtomicLong(1_000_000_000_000L);
        List<String> lines = new ArrayList<>();
        Refusals r = new Refusals(60_000, clock::get, lines::add);
        r.count(Cause.ABORTED, "10.0.0.1");
        assertEquals(1, lines.size(), "the first one after a quiet spell is logged at once");
        for (int i = 0; i < 10_000; i++) {
            r.count(i % 2 == 0 ? Cause.SLOW_BODY : Cause.ADDRESS_BUSY, "10.0.0.2");
        }
        assertEquals(1, lines.size());
        clock.addAndGet(60_000_000_000L);
        r.count(Cause.SLOW_BODY, "10.0.0.3");
        assertEquals(2, lines.size());
        assertTrue(lines.get(1).contains("refused 10001 requests") && lines.get(1).contains("body too slow 5001")
                && lines.get(1).contains("too many from one address 5000") && lines.get(1).contains("10.0.0.3"), lines.get(1));
        assertEquals(5001, r.total(Cause.SLOW_BODY));
        assertTrue(lines.stream().allMatch(l -> l.indexOf('\n') < 0));
    }

    @Test
    void whatAClientControlsIsEscaped() {
        assertEquals("10.0.0.1", Refusals.escape("10.0.0.1"));
        assertEquals("[::1]", Refusals.escape("[::1]"));
        // The escape byte is gone; what is left of the colour code is harmless text.
        assertEquals("?a??[31????", Refusals.escape("\na\r\u001b[31mxyz"));
        assertEquals(64, Refusals.escape("1".repeat(1000)).length());
    }
}
