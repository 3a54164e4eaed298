package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

/**
 * CAdES-B-T with time stamps from an independent TSA ({@code openssl ts -reply} behind an HTTP
 * server this test starts), configured the way a site does it (a .cfg per authority, a profile
 * listing it), judged by EU DSS as CAdES-BASELINE-T. With the TSA gone, signing at level T fails
 * as retryable and writes nothing.
 */
class CadesLevelTInteropTest {

    @TempDir
    static Path tmp;
    static Path home;
    static Path tsaDir;
    static HttpServer http;

    @BeforeAll
    static void tsaAndProfile() throws Exception {
        home = tmp.resolve("home");
        tsaDir = tmp.resolve("tsa");
        OpensslTsa.create(tsaDir, "E2E TSA");

        // A new home, then what a site adds for time stamps: the TSA's root, the authority, a profile.
        Sigillum.Result init = Sigillum.run(home, "status");
        assertEquals(0, init.exit(), init.toString());
        Files.copy(tsaDir.resolve("root.pem"), home.resolve("pki/e2e-tsa-root.pem"));
        startTsa();
        Files.writeString(home.resolve("etc/org.sigillum.profile-cades-t.cfg"), """
                name = cades-t
                format = cades
                level = T
                tokens = demo
                tsas = openssl
                """);
    }

    /** openssl ts -reply behind HTTP on a free port, and the authority's .cfg pointing at it. */
    static void startTsa() throws Exception {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/tsa", ex -> {
            byte[] answer;
            synchronized (CadesLevelTInteropTest.class) {
                try {
                    Files.write(tsaDir.resolve("q.tsq"), ex.getRequestBody().readAllBytes());
                    Files.deleteIfExists(tsaDir.resolve("r.tsr"));
                    openssl("ts", "-reply", "-config", "tsa.cnf", "-queryfile", "q.tsq", "-out", "r.tsr");
                    answer = Files.readAllBytes(tsaDir.resolve("r.tsr"));
                } catch (Exception e) {
                    ex.sendResponseHeaders(500, -1);
                    ex.close();
                    return;
                }
            }
            ex.getResponseHeaders().add("Content-Type", "application/timestamp-reply");
            ex.sendResponseHeaders(200, answer.length);
            ex.getResponseBody().write(answer);
            ex.close();
        });
        http.start();
        Path staged = tmp.resolve("tsp.cfg");
        Files.writeString(staged, """
                name = openssl
                url = http://127.0.0.1:%d/tsa
                trustAnchors = pki
                timeoutMillis = 5000
                coolDownSeconds = 1
                """.formatted(http.getAddress().getPort()));
        Files.move(staged, home.resolve("etc/org.sigillum.tsp-openssl.cfg"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            http.stop(0);
        }
    }

    private static void openssl(String... args) throws Exception {
        OpensslTsa.run(tsaDir, args);
    }

    @Test
    void levelTSignaturesAreCadesBaselineTInEuDssAndTimeStampedInOurVerify() throws Exception {
        Path doc = Files.writeString(tmp.resolve("order.txt"), "Bestellung 4711");
        Path out = tmp.resolve("out");
        Sigillum.Result r = Sigillum.run(home, "sign", "--profile", "cades-t", "--out", out.toString(), doc.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("B-T"), r.toString());
        Path sig = out.resolve("order.txt.p7s");

        Dss.Verdict v = Dss.validate(sig, doc, home.resolve("pki/demo-root.pem"), tsaDir.resolve("root.pem"));
        assertEquals("TOTAL_PASSED", v.indication(), v.toString());
        assertEquals("CAdES-BASELINE-T", v.format(), v.toString());

        Sigillum.Result verify = Sigillum.run(home, "verify", sig.toString(), "--data", doc.toString());
        assertEquals(0, verify.exit(), verify.toString());
        assertTrue(verify.out().contains("B-T") && verify.out().contains("time-stamped"), verify.toString());

        Path changed = Files.writeString(tmp.resolve("order-changed.txt"), "Bestellung 4712");
        assertEquals("TOTAL_FAILED", Dss.validate(sig, changed, home.resolve("pki/demo-root.pem"), tsaDir.resolve("root.pem"))
                .indication());
    }

    @Test
    void aRefusedAndASlowAuthorityAreSkippedForTheThird() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        HttpServer slow = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        slow.createContext("/tsa", ex -> {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(500, -1);
            ex.close();
        });
        slow.start();
        try {
            Files.writeString(tmp.resolve("down.cfg"), "name = down\nurl = http://127.0.0.1:" + closed + "/tsa\ntimeoutMillis = 1000\n");
            Files.move(tmp.resolve("down.cfg"), home.resolve("etc/org.sigillum.tsp-down.cfg"));
            Files.writeString(tmp.resolve("slow.cfg"), "name = slow\nurl = http://127.0.0.1:" + slow.getAddress().getPort()
                    + "/tsa\ntimeoutMillis = 500\n");
            Files.move(tmp.resolve("slow.cfg"), home.resolve("etc/org.sigillum.tsp-slow.cfg"));
            Files.writeString(tmp.resolve("fo.cfg"), "name = failover\nformat = cades\nlevel = T\ntokens = demo\ntsas = down, slow, openssl\n");
            Files.move(tmp.resolve("fo.cfg"), home.resolve("etc/org.sigillum.profile-failover.cfg"));

            Path doc = Files.writeString(tmp.resolve("fo.txt"), "three authorities, one answers");
            Path out = tmp.resolve("out-fo");
            Sigillum.Result r = Sigillum.run(home, "sign", "--profile", "failover", "--out", out.toString(), doc.toString());
            assertEquals(0, r.exit(), r.toString());
            var cms = new org.bouncycastle.cms.CMSSignedData(new org.bouncycastle.cms.CMSProcessableByteArray(Files.readAllBytes(doc)),
                    Files.readAllBytes(out.resolve("fo.txt.p7s")));
            var si = cms.getSignerInfos().getSigners().iterator().next();
            var tst = new org.bouncycastle.tsp.TimeStampToken(org.bouncycastle.asn1.cms.ContentInfo.getInstance(si.getUnsignedAttributes()
                    .get(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_aa_signatureTimeStampToken).getAttrValues().getObjectAt(0)));
            @SuppressWarnings("unchecked")
            var tsaCert = (org.bouncycastle.cert.X509CertificateHolder) tst.getCertificates().getMatches(tst.getSID()).iterator().next();
            assertEquals("CN=E2E TSA", tsaCert.getSubject().toString(), "the stamp comes from the third authority");
            assertEquals("TOTAL_PASSED", Dss.validate(out.resolve("fo.txt.p7s"), doc, home.resolve("pki/demo-root.pem"),
                    tsaDir.resolve("root.pem")).indication());
        } finally {
            slow.stop(0);
            Files.deleteIfExists(home.resolve("etc/org.sigillum.profile-failover.cfg"));
        }
    }

    @Test
    void withoutItsTsaLevelTFailsRetryablyAndWritesNothingThenSignsWhenItIsBack() throws Exception {
        Path doc = Files.writeString(tmp.resolve("later.txt"), "sign me when the TSA is back");
        Path out = tmp.resolve("out-down");
        http.stop(0);
        Sigillum.Result r = Sigillum.run(home, "sign", "--profile", "cades-t", "--out", out.toString(), doc.toString());
        assertNotEquals(0, r.exit(), r.toString());
        assertTrue(r.err().contains("TSA unavailable"), r.toString());
        assertFalse(Files.exists(out.resolve("later.txt.p7s")), "nothing is released at level T without a time stamp");

        startTsa();
        Sigillum.Result again = Sigillum.run(home, "sign", "--profile", "cades-t", "--out", out.toString(), doc.toString());
        assertEquals(0, again.exit(), again.toString());
        assertTrue(Files.isRegularFile(out.resolve("later.txt.p7s")));
    }
}
