package org.sigillum.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustAnchorsTest {

    // keytool starts a JVM per call: the two PKIs are made once for the class.
    @TempDir
    static Path shared;
    static Path a;
    static Path b;
    static List<X509Certificate> chainA;
    static List<X509Certificate> chainB;

    @TempDir
    Path tmp;

    @BeforeAll
    static void pkis() throws Exception {
        a = Files.createDirectories(shared.resolve("a"));
        b = Files.createDirectories(shared.resolve("b"));
        chainA = Keytool.pki(a, "Root A", "10");
        chainB = Keytool.selfSigned(b, "Root B");
    }

    @Test
    void chainToConfiguredRootIsTrustedAndOtherRootsAreNot() throws Exception {
        assertEquals(2, chainA.size());
        TrustAnchors trust = new TrustAnchors();
        Path anchors = a.resolve("root.pem");

        assertNull(trust.check(chainA, anchors, Instant.now()));
        String problem = trust.check(chainB, anchors, Instant.now());
        assertNotNull(problem);
        assertTrue(problem.contains("not trusted"), problem);

        // The cached good path must not outlive the certificate.
        assertNotNull(trust.check(chainA, anchors, Instant.now().plus(Duration.ofDays(20))));
        assertNull(trust.check(chainA, anchors, Instant.now()));

        // A folder of anchors reloads when a file is added.
        Path dir = Files.createDirectories(tmp.resolve("pki"));
        Files.copy(b.resolve("root.pem"), dir.resolve("b.pem"));
        assertNotNull(trust.check(chainA, dir, Instant.now()));
        Files.copy(anchors, dir.resolve("a.pem"));
        Thread.sleep(1100); // anchors are looked at again once a second, not on every signature
        assertNull(trust.check(chainA, dir, Instant.now()));
    }

    @Test
    void aCertificateNotForSignaturesOrNotForTimeStampingIsRefused() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("tls"));
        List<X509Certificate> tls = Keytool.pki(d, "Root T", "10", "ku:c=keyEncipherment;eku=serverAuth");
        TrustAnchors trust = new TrustAnchors();
        String problem = trust.check(tls, d.resolve("root.pem"), Instant.now());
        assertNotNull(problem, "a TLS certificate chains, but may not sign documents");
        assertTrue(problem.contains("not for signatures"), problem);
        problem = trust.checkTimeStampAuthority(tls, d.resolve("root.pem"), Instant.now());
        assertTrue(problem.contains("not for time stamping"), problem);

        Path t = Files.createDirectories(tmp.resolve("tsa"));
        List<X509Certificate> tsa = Keytool.pki(t, "Root TSA", "10", "ku:c=digitalSignature;eku:c=timeStamping");
        assertNull(trust.checkTimeStampAuthority(tsa, t.resolve("root.pem"), Instant.now()));
        assertNotNull(trust.checkTimeStampAuthority(tsa, a.resolve("root.pem"), Instant.now()), "another root does not do");
    }

    @Test
    void noAnchorsIsAClearProblem() {
        String problem = new TrustAnchors().check(chainA, tmp.resolve("missing"), Instant.now());
        assertTrue(problem.contains("no trust anchors"), problem);
    }
}
