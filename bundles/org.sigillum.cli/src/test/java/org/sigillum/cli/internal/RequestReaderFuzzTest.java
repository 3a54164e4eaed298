package org.sigillum.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.sigillum.fuzz.Fuzz;
import org.sigillum.fuzz.Mutator;

/**
 * The control protocol's request parser against mutated requests delivered in random pieces, as a
 * local peer can send them: each input is read into a request or refused (too large, malformed),
 * never another failure, in bounded time, and the reader never holds more than the cap.
 */
class RequestReaderFuzzTest {

    @Test
    void aMutatedRequestIsReadOrRefusedWithinItsBounds() throws Exception {
        List<byte[]> samples = List.of(RequestReaderTest.frame(4, "/home/u", "sign", "--profile", "Zeugnis für Jörg ✓.pdf"),
                RequestReaderTest.frame(2, "/", "status"),
                RequestReaderTest.frame(5, "/tmp", "archive", "evidence", "contract.pdf", "--out"),
                RequestReaderTest.frame(3, "/srv/x", "token", "activate"));
        Fuzz.run("control-request", new Mutator(samples), Mutator.seed(21), Mutator.count(5000),
                new Fuzz.Limits(Duration.ofSeconds(5), 16L << 20, Duration.ofSeconds(60)), input -> {
                    RequestReader r = new RequestReader();
                    // Pieces of random size, as a socket delivers them; the seed comes from the input.
                    SplittableRandom pieces = new SplittableRandom(java.util.Arrays.hashCode(input));
                    for (int at = 0; at < input.length && !r.complete();) {
                        int n = Math.min(input.length - at, 1 + pieces.nextInt(64));
                        r.append(ByteBuffer.wrap(input, at, n));
                        at += n;
                        assertTrue(r.capacity() <= Protocol.MAX_REQUEST_BYTES + 4096, "holds " + r.capacity() + " bytes");
                    }
                    if (r.complete()) {
                        RequestReader.Request req = r.request();
                        assertTrue(req.cwd().isAbsolute(), req.toString());
                    }
                }, t -> t instanceof RequestReader.Refused);
        // And a good request still reads afterwards.
        RequestReader r = new RequestReader();
        r.append(ByteBuffer.wrap(RequestReaderTest.frame(2, "/", "status")));
        assertEquals("status", r.request().command());
    }
}
