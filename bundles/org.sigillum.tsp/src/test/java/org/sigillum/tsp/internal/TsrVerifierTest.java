package org.sigillum.tsp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureVerdict;
import org.sigillum.api.SigningException;

/** .tsr files written by openssl ts -reply, checked against the right and the wrong data. */
class TsrVerifierTest {

    @TempDir
    Path tmp;

    @Test
    void anOpensslResponseCoversItsDataOnly() throws Exception {
        OpensslTsa tsa = new OpensslTsa(tmp, "Tsr");
        Path data = Files.writeString(tmp.resolve("data.txt"), "Vertrag");
        Path query = tmp.resolve("q.tsq");
        Process p = new ProcessBuilder("openssl", "ts", "-query", "-data", data.toString(), "-sha256", "-cert", "-out",
                query.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, p.waitFor());
        byte[] tsr = tsa.reply(Files.readAllBytes(query));
        TsrVerifier v = new TsrVerifier();
        Document doc = new Document("data.txt.tsr", Content.of(tsr));
        assertTrue(v.accepts(doc));
        SignatureVerdict ok = v.verify(doc, Optional.of(Content.of(Files.readAllBytes(data)))).get(0);
        assertTrue(ok.intact(), ok.problem());
        assertEquals(ok.chain(), ok.timeStampChain());
        assertTrue(ok.timeStampTime().isPresent());
        SignatureVerdict other = v.verify(doc, Optional.of(Content.of("Vertrag!".getBytes()))).get(0);
        assertFalse(other.intact());
        SigningException e = assertThrows(SigningException.class, () -> v.verify(doc, Optional.empty()));
        assertEquals(Reason.BAD_REQUEST, e.reason());
        assertFalse(v.accepts(new Document("x.p7s", Content.of(new byte[] { 0x30, 0x0b, 0x06, 0x09, 0x2a }))),
                "a CMS ContentInfo is not a time-stamp response");
    }
}
