package org.sigillum.cli.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The request parser against the framing the client writes, delivered in any pieces, and against lies. */
class RequestReaderTest {

    static byte[] frame(int count, String... strings) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(count);
        for (String s : strings) {
            out.writeUTF(s);
        }
        return b.toByteArray();
    }

    @Test
    void aRequestArrivingByteByByteReadsAsTheClientWroteIt() throws Exception {
        byte[] bytes = frame(4, "/home/u", "sign", "--profile", "Zeugnis für Jörg ✓.pdf");
        RequestReader r = new RequestReader();
        for (int i = 0; i < bytes.length; i++) {
            assertFalse(r.complete());
            r.append(ByteBuffer.wrap(bytes, i, 1));
        }
        assertTrue(r.complete());
        RequestReader.Request req = r.request();
        assertEquals(Path.of("/home/u"), req.cwd());
        assertEquals("sign", req.command());
        assertEquals(List.of("--profile", "Zeugnis für Jörg ✓.pdf"), req.args());
        assertEquals(0, r.rest().length);
    }

    @Test
    void bytesAfterTheRequestAreKeptForWhatFollows() throws Exception {
        byte[] req = frame(2, "/", "token");
        byte[] all = java.util.Arrays.copyOf(req, req.length + 3);
        all[req.length] = 0;
        all[req.length + 1] = 1;
        all[req.length + 2] = 'x';
        RequestReader r = new RequestReader();
        r.append(ByteBuffer.wrap(all));
        assertTrue(r.complete());
        assertArrayEquals(new byte[] {0, 1, 'x'}, r.rest());
    }

    @Test
    void aCountNoRequestCanHoldIsRefusedBeforeAnythingElseArrives() {
        for (int count : new int[] {-1, 0, 1, Protocol.MAX_STRINGS + 1, Integer.MAX_VALUE}) {
            RequestReader r = new RequestReader();
            RequestReader.Refused e = assertThrows(RequestReader.Refused.class, () -> r.append(ByteBuffer.allocate(4).putInt(count).flip()));
            assertEquals(Refusal.Kind.MALFORMED, e.kind());
        }
    }

    @Test
    void moreThanTheCapIsRefusedAndTheBufferNeverGrowsPastIt() throws Exception {
        RequestReader r = new RequestReader();
        r.append(ByteBuffer.allocate(4).putInt(100_000).flip());
        byte[] chunk = new byte[65_537];
        chunk[0] = (byte) 0xff;
        chunk[1] = (byte) 0xff;
        RequestReader.Refused refused = null;
        long fed = 4;
        while (refused == null) {
            try {
                r.append(ByteBuffer.wrap(chunk));
                fed += chunk.length;
            } catch (RequestReader.Refused e) {
                refused = e;
            }
            assertTrue(r.capacity() <= Protocol.MAX_REQUEST_BYTES);
        }
        assertEquals(Refusal.Kind.TOO_LARGE, refused.kind());
        assertTrue(fed <= Protocol.MAX_REQUEST_BYTES);
    }

    @Test
    void aStringAnnouncedPastTheCapIsRefusedWithoutWaitingForIt() throws Exception {
        // As many full strings as fit under the cap, then the length of one more that cannot fit.
        int full = (Protocol.MAX_REQUEST_BYTES - 4) / 65_537;
        ByteBuffer b = ByteBuffer.allocate(4 + full * 65_537 + 2);
        b.putInt(100_000);
        for (int i = 0; i < full; i++) {
            b.putShort((short) 0xffff).position(b.position() + 65_535);
        }
        b.putShort((short) 0xffff).flip();
        RequestReader r = new RequestReader();
        assertEquals(Refusal.Kind.TOO_LARGE, assertThrows(RequestReader.Refused.class, () -> r.append(b)).kind());
    }

    @Test
    void badStringsAndPathsAreMalformed() throws Exception {
        byte[] badUtf = {0, 0, 0, 2, 0, 1, '/', 0, 2, (byte) 0xc3, (byte) 0x28};
        RequestReader r = new RequestReader();
        r.append(ByteBuffer.wrap(badUtf));
        assertEquals(Refusal.Kind.MALFORMED, assertThrows(RequestReader.Refused.class, r::request).kind());

        for (String cwd : new String[] {"relative", "", "/a\u0000b"}) {
            RequestReader p = new RequestReader();
            p.append(ByteBuffer.wrap(frame(2, cwd, "status")));
            RequestReader.Refused e = assertThrows(RequestReader.Refused.class, p::request);
            assertEquals(Refusal.Kind.MALFORMED, e.kind());
            assertFalse(e.getMessage().contains("\u0000"), e.getMessage());
        }
    }

    @Test
    void peerTextInALogLineCannotBreakTheLineOrSteerTheTerminal() {
        assertEquals("\"a\\nb\\r\\e[2J\\x07\\x9b\\u202e\\\\\\\"\"", LogText.quote("a\nb\r\u001b[2J\u0007\u009b\u202e\\\""));
        assertEquals("\"Jörg ✓ \uD83D\uDE00\"", LogText.quote("Jörg ✓ \uD83D\uDE00"));
        assertEquals("\"\\ud83d\"", LogText.quote("\uD83D"));
        String longText = "x".repeat(10_000);
        String q = LogText.quote(longText);
        assertTrue(q.length() < LogText.MAX_CHARS + 30, q);
        assertTrue(q.endsWith("(10000 chars)"), q);
    }
}
