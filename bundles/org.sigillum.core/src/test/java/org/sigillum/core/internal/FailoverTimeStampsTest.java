package org.sigillum.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;
import org.sigillum.api.TimeStampSource;

class FailoverTimeStampsTest {

    private final List<String> asked = new ArrayList<>();

    private TimeStampSource failing(String name) {
        return (d, i) -> {
            asked.add(name);
            throw new SigningException(Reason.TSA_UNAVAILABLE, "time-stamp authority " + name + ": down");
        };
    }

    private TimeStampSource working(String name) {
        return (d, i) -> {
            asked.add(name);
            return new TimeStamp(new byte[] { 1 }, Instant.now(), name);
        };
    }

    @Test
    void authoritiesAreTriedInTheProfilesOrderUntilOneAnswers() throws Exception {
        var sources = Map.of("a", failing("a"), "b", failing("b"), "c", working("c"), "d", working("d"));
        TimeStamp ts = new FailoverTimeStamps("p", List.of("a", "b", "c", "d"), sources).timeStamp(DigestAlgorithm.SHA256, new byte[32]);
        assertEquals("c", ts.authority());
        assertEquals(List.of("a", "b", "c"), asked, "d is never asked: every stamp is billed");
    }

    @Test
    void allDownIsRetryableAndSaysWhyForEach() {
        var sources = Map.of("a", failing("a"));
        SigningException e = assertThrows(SigningException.class,
                () -> new FailoverTimeStamps("p", List.of("a", "missing"), sources).timeStamp(DigestAlgorithm.SHA256, new byte[32]));
        assertEquals(Reason.TSA_UNAVAILABLE, e.reason());
        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("a: down") && e.getMessage().contains("missing: not installed"), e.getMessage());
    }

    @Test
    void noAuthorityAtAllIsSaidPlainly() {
        SigningException e = assertThrows(SigningException.class,
                () -> new FailoverTimeStamps("p", List.of(), Map.of()).timeStamp(DigestAlgorithm.SHA256, new byte[32]));
        assertTrue(e.getMessage().contains("no time-stamp authority is configured"), e.getMessage());
    }
}
