package org.sigillum.tsp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.Random;

import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.tsp.MessageImprint;
import org.bouncycastle.asn1.tsp.TSTInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponseGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;

/**
 * Our client against an independent TSA ({@code openssl ts -reply} behind a small HTTP server), and
 * against answers that must be refused: another request's nonce, another document's imprint, an
 * unknown root, a rejection, a certificate without the timeStamping EKU, garbage, silence.
 */
class Rfc3161ClientTest {

    @TempDir
    static Path tmp;
    static OpensslTsa good;
    static OpensslTsa stranger;

    private final byte[] imprint = sha256("the document's signature value");

    @BeforeAll
    static void tsas() throws Exception {
        good = new OpensslTsa(tmp, "Good");
        stranger = new OpensslTsa(tmp, "Stranger");
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Rfc3161Client client(String url, Path anchors, Duration timeout) {
        return new Rfc3161Client(new Rfc3161Client.Settings("t", URI.create(url), Optional.empty(), timeout, Optional.empty(),
                Optional.empty(), () -> {
                    try {
                        return Pem.anchors(anchors);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, Duration.ofSeconds(120), Duration.ofSeconds(60)), Clock.systemUTC());
    }

    private SigningException refused(TinyHttp.Handler handler, Path anchors) throws Exception {
        try (TinyHttp http = new TinyHttp(handler)) {
            SigningException e = assertThrows(SigningException.class,
                    () -> client(http.url(), anchors, Duration.ofSeconds(10)).timeStamp(DigestAlgorithm.SHA256, imprint));
            assertEquals(Reason.TSA_UNAVAILABLE, e.reason());
            assertTrue(e.retryable());
            return e;
        }
    }

    @Test
    void opensslTokensAreAcceptedAndOpensslVerifiesWhatWeKeep() throws Exception {
        try (TinyHttp http = new TinyHttp(good::reply)) {
            TimeStamp ts = client(http.url(), good.rootPem, Duration.ofSeconds(10)).timeStamp(DigestAlgorithm.SHA256, imprint);
            assertTrue(Duration.between(ts.genTime(), Instant.now()).abs().toSeconds() < 60);
            assertEquals(0, good.verifyToken(ts.encoded(), imprint), "openssl ts -verify must accept the token");
            assertTrue(good.verifyToken(ts.encoded(), sha256("other")) != 0, "and refuse it for other data");
        }
    }

    @Test
    void anAnswerToAnotherRequestIsRefused() throws Exception {
        // Same imprint, another nonce: a replayed or mixed-up answer.
        SigningException e = refused(q -> good.reply(new TimeStampRequestGenerator() {
            {
                setCertReq(true);
            }
        }.generate(new ASN1ObjectIdentifier(DigestAlgorithm.SHA256.oid()), new TimeStampRequest(q).getMessageImprintDigest(),
                BigInteger.valueOf(42)).getEncoded()), good.rootPem);
        assertTrue(e.getMessage().contains("does not fit our request"), e.getMessage());
    }

    @Test
    void anImprintOfOtherDataIsRefused() throws Exception {
        SigningException e = refused(q -> {
            TimeStampRequestGenerator g = new TimeStampRequestGenerator();
            g.setCertReq(true);
            return good.reply(g.generate(new ASN1ObjectIdentifier(DigestAlgorithm.SHA256.oid()), sha256("other data"),
                    new TimeStampRequest(q).getNonce()).getEncoded());
        }, good.rootPem);
        assertTrue(e.getMessage().contains("does not fit our request"), e.getMessage());
    }

    @Test
    void aTsaChainingToAnUnknownRootIsRefused() throws Exception {
        SigningException e = refused(stranger::reply, good.rootPem);
        assertTrue(e.getMessage().contains("not trusted"), e.getMessage());
    }

    @Test
    void aRejectionIsReportedWithItsStatus() throws Exception {
        SigningException e = refused(q -> new TimeStampResponseGenerator(null, null).generateFailResponse(2,
                org.bouncycastle.asn1.cmp.PKIFailureInfo.badAlg, "we do not do that").getEncoded(), good.rootPem);
        assertTrue(e.getMessage().contains("refused the request: status 2"), e.getMessage());
        assertTrue(e.getMessage().contains("we do not do that"), e.getMessage());
    }

    @Test
    void garbageAndSilenceAreRefusedAndTheAuthorityCoolsDown() throws Exception {
        byte[] junk = new byte[300];
        new Random(3).nextBytes(junk);
        SigningException e = refused(q -> junk, good.rootPem);
        assertTrue(e.getMessage().contains("not a time-stamp response"), e.getMessage());

        try (TinyHttp slow = new TinyHttp(q -> {
            Thread.sleep(3_000);
            return good.reply(q);
        })) {
            Rfc3161Client c = client(slow.url(), good.rootPem, Duration.ofMillis(500));
            long t0 = System.nanoTime();
            e = assertThrows(SigningException.class, () -> c.timeStamp(DigestAlgorithm.SHA256, imprint));
            assertTrue(e.getMessage().contains("did not answer within 500 ms"), e.getMessage());
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 2_500, "the timeout must hold");
            int before = slow.requests.get();
            e = assertThrows(SigningException.class, () -> c.timeStamp(DigestAlgorithm.SHA256, imprint));
            assertTrue(e.getMessage().contains("skipped until"), e.getMessage());
            assertEquals(before, slow.requests.get(), "a cooling-down authority is not asked at all");
        }

        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        e = assertThrows(SigningException.class, () -> client("http://127.0.0.1:" + port + "/tsa", good.rootPem,
                Duration.ofSeconds(2)).timeStamp(DigestAlgorithm.SHA256, imprint));
        assertTrue(e.getMessage().contains("cannot be reached"), e.getMessage());
    }

    @Test
    void aTsaCertificateWithoutTheTimeStampingEkuIsRefused() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair kp = g.generateKeyPair();
        X500Name name = new X500Name("CN=No EKU TSA");
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.TEN,
                Date.from(Instant.now().minusSeconds(3600)), Date.from(Instant.now().plusSeconds(86400)), name, kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
        Path anchor = tmp.resolve("noeku.pem");
        java.nio.file.Files.writeString(anchor, "-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        SigningException e = refused(q -> {
            TimeStampRequest req = new TimeStampRequest(q);
            TSTInfo info = new TSTInfo(new ASN1ObjectIdentifier("1.2.3.4.1"), new MessageImprint(
                    new AlgorithmIdentifier(req.getMessageImprintAlgOID()), req.getMessageImprintDigest()), new ASN1Integer(1),
                    new ASN1GeneralizedTime(new Date()), null, null, new ASN1Integer(req.getNonce()), null, null);
            ESSCertIDv2 id = new ESSCertIDv2(sha(cert.getEncoded()));
            AttributeTable attrs = new AttributeTable(new Attribute(PKCSObjectIdentifiers.id_aa_signingCertificateV2,
                    new DERSet(new SigningCertificateV2(new ESSCertIDv2[] { id }))));
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(attrs))
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate()), cert));
            gen.addCertificates(new JcaCertStore(java.util.List.of(cert)));
            var token = gen.generate(new CMSProcessableByteArray(PKCSObjectIdentifiers.id_ct_TSTInfo, info.getEncoded()), true);
            return new org.bouncycastle.asn1.tsp.TimeStampResp(new org.bouncycastle.asn1.cmp.PKIStatusInfo(
                    org.bouncycastle.asn1.cmp.PKIStatus.granted), token.toASN1Structure()).getEncoded();
        }, anchor);
        assertTrue(e.getMessage().contains("does not verify") || e.getMessage().contains("ExtendedKeyUsage"), e.getMessage());
    }

    private static byte[] sha(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
