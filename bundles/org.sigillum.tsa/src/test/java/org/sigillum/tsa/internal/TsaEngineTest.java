package org.sigillum.tsa.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cmp.PKIFailureInfo;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.ActivationMode;
import org.sigillum.api.Pin;
import org.sigillum.api.SignatureAlgorithm;
import org.sigillum.api.SigningToken;
import org.sigillum.api.TokenState;
import org.sigillum.api.TokenStatus;

/** The TSA engine judged by openssl ts -verify, and hammered with garbage that must never break it. */
class TsaEngineTest {

    @TempDir
    static Path tmp;
    static X509Certificate root;
    static X509Certificate tsaCert;
    static SigningToken token;

    @BeforeAll
    static void pki() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair rk = g.generateKeyPair();
        KeyPair tk = g.generateKeyPair();
        X500Name rn = new X500Name("CN=TSA Test Root");
        Date from = Date.from(Instant.now().minusSeconds(3600));
        Date to = Date.from(Instant.now().plusSeconds(86400));
        root = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(rn, BigInteger.ONE, from, to, rn,
                rk.getPublic()).addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(rk.getPrivate())));
        tsaCert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(root, BigInteger.TWO, from, to,
                new X500Name("CN=Test TSA"), tk.getPublic())
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, true, new ExtendedKeyUsage(KeyPurposeId.id_kp_timeStamping))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(rk.getPrivate())));
        token = new SoftTestToken(tk.getPrivate(), List.of(tsaCert, root));
        pem(root, tmp.resolve("root.pem"));
        pem(tsaCert, tmp.resolve("tsa.pem"));
    }

    private static void pem(X509Certificate c, Path p) throws Exception {
        Files.writeString(p, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder().encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    }

    private static int openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl hung");
        }
        return p.exitValue();
    }

    private static TsaEngine engine(Path serials) throws Exception {
        return new TsaEngine(token, "1.2.3.4.5", 1000, new SerialNumbers(serials));
    }

    @Test
    void opensslAcceptsOurRepliesForTheRightDataOnly() throws Exception {
        TsaEngine e = engine(tmp.resolve("s1"));
        byte[] data = "stamp me".getBytes();
        Path dataFile = Files.write(tmp.resolve("data.txt"), data);
        Path query = tmp.resolve("q.tsq");
        assertEquals(0, openssl("ts", "-query", "-data", dataFile.toString(), "-sha256", "-cert", "-out", query.toString()));
        Path reply = Files.write(tmp.resolve("r.tsr"), e.respond(Files.readAllBytes(query)));
        assertEquals(0, openssl("ts", "-verify", "-in", reply.toString(), "-queryfile", query.toString(), "-CAfile",
                tmp.resolve("root.pem").toString(), "-untrusted", tmp.resolve("tsa.pem").toString()));
        assertEquals(0, openssl("ts", "-verify", "-in", reply.toString(), "-data", dataFile.toString(), "-CAfile",
                tmp.resolve("root.pem").toString(), "-untrusted", tmp.resolve("tsa.pem").toString()));
        Path other = Files.writeString(tmp.resolve("other.txt"), "not what was stamped");
        assertTrue(openssl("ts", "-verify", "-in", reply.toString(), "-data", other.toString(), "-CAfile",
                tmp.resolve("root.pem").toString(), "-untrusted", tmp.resolve("tsa.pem").toString()) != 0);
    }

    @Test
    void unsupportedRequestsGetTheRightFailureInfo() throws Exception {
        TsaEngine e = engine(tmp.resolve("s2"));
        TimeStampRequestGenerator g = new TimeStampRequestGenerator();
        TimeStampRequest sha1 = g.generate(new ASN1ObjectIdentifier("1.3.14.3.2.26"), new byte[20]);
        assertRejected(e.respond(sha1.getEncoded()), PKIFailureInfo.badAlg);
        g.setReqPolicy(new ASN1ObjectIdentifier("1.2.3.9"));
        TimeStampRequest policy = g.generate(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.1"), new byte[32]);
        assertRejected(e.respond(policy.getEncoded()), PKIFailureInfo.unacceptedPolicy);
    }

    private static void assertRejected(byte[] answer, int failInfo) throws Exception {
        TimeStampResponse r = new TimeStampResponse(answer);
        assertEquals(PKIStatus.REJECTION, r.getStatus());
        assertTrue((r.getFailInfo().intValue() & failInfo) != 0, "failure info " + r.getFailInfo().intValue());
    }

    @Test
    void thousandsOfRandomAndTruncatedQueriesAreAnsweredAndGoodOnesStillWork() throws Exception {
        TsaEngine e = engine(tmp.resolve("s3"));
        Random r = new Random(11);
        TimeStampRequestGenerator g = new TimeStampRequestGenerator();
        g.setCertReq(true);
        byte[] good = g.generate(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.1"), MessageDigest.getInstance("SHA-256")
                .digest("x".getBytes()), BigInteger.valueOf(5)).getEncoded();
        for (int i = 0; i < 3000; i++) {
            byte[] q;
            if (i % 3 == 0) {
                q = java.util.Arrays.copyOf(good, r.nextInt(good.length)); // truncated
            } else if (i % 3 == 1) {
                q = good.clone(); // one byte flipped
                q[r.nextInt(q.length)] ^= (byte) (1 + r.nextInt(255));
            } else {
                q = new byte[r.nextInt(200)];
                r.nextBytes(q);
            }
            TimeStampResponse resp = new TimeStampResponse(e.respond(q));
            assertTrue(resp.getStatus() == PKIStatus.REJECTION || resp.getStatus() == PKIStatus.GRANTED,
                    "every query gets an answer with a status");
        }
        TimeStampResponse ok = new TimeStampResponse(e.respond(good));
        assertEquals(PKIStatus.GRANTED, ok.getStatus());
        ok.validate(new TimeStampRequest(good));
    }

    @Test
    void serialNumbersOnlyGrowAcrossRestarts() throws Exception {
        Path f = tmp.resolve("serials");
        SerialNumbers a = new SerialNumbers(f);
        BigInteger last = BigInteger.ZERO;
        for (int i = 0; i < 5; i++) {
            BigInteger n = a.next();
            assertTrue(n.compareTo(last) > 0);
            last = n;
        }
        // A restart (or a crash) never hands out a number given before.
        SerialNumbers b = new SerialNumbers(f);
        assertTrue(b.next().compareTo(last) > 0);
        SerialNumbers c = new SerialNumbers(f);
        assertTrue(c.next().compareTo(last) > 0);
    }
}
