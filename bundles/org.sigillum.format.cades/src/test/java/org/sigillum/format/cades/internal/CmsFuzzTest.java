package org.sigillum.format.cades.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampTokenGenerator;
import org.junit.jupiter.api.Test;
import org.sigillum.api.Content;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Document;
import org.sigillum.api.Packaging;
import org.sigillum.api.Padding;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureContext;
import org.sigillum.api.SignatureLevel;
import org.sigillum.api.SignatureParameters;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;
import org.sigillum.api.TimeStampSource;
import org.sigillum.fuzz.Fuzz;
import org.sigillum.fuzz.Mutator;

/**
 * Mutated CMS signatures (detached and enveloping, RSA and EC, with and without a signature time
 * stamp, DER and PEM) through the verifier: each gives verdicts or BAD_INPUT, quickly and without
 * allocating what a forged length claims; the same verifier then still verifies a good signature.
 */
class CmsFuzzTest {

    private final byte[] data = "pay 100 to Alice".getBytes();

    @Test
    void mutatedSignaturesGiveVerdictsOrBadInput() throws Exception {
        CadesFormat format = new CadesFormat();
        TestPki rsa = TestPki.create("RSA");
        TestPki ec = TestPki.create("EC");
        List<byte[]> samples = new ArrayList<>();
        samples.add(sign(format, rsa, SignatureLevel.B_B, Packaging.DETACHED, null));
        samples.add(sign(format, ec, SignatureLevel.B_B, Packaging.EMBEDDED, null));
        samples.add(sign(format, rsa, SignatureLevel.B_T, Packaging.DETACHED, tsa(rsa)));
        samples.add(("-----BEGIN PKCS7-----\n" + Base64.getMimeEncoder().encodeToString(samples.get(1)) + "\n-----END PKCS7-----\n")
                .getBytes());

        Fuzz.run("cms", new Mutator(samples), Mutator.seed(3161), Mutator.count(3000),
                new Fuzz.Limits(Duration.ofSeconds(5), 32L << 20, Duration.ofSeconds(60)),
                input -> format.verify(new Document("fuzz.p7s", Content.of(input)), Optional.of(Content.of(data))),
                t -> t instanceof SigningException e && e.reason() == Reason.BAD_INPUT);

        for (byte[] good : samples) {
            assertTrue(format.verify(new Document("good.p7s", Content.of(good)), Optional.of(Content.of(data))).get(0).intact(),
                    "the verifier still verifies a good signature after the fuzzing");
        }
    }

    private byte[] sign(CadesFormat format, TestPki pki, SignatureLevel level, Packaging packaging, TimeStampSource tsa)
            throws Exception {
        SignatureParameters p = new SignatureParameters("cades", level, DigestAlgorithm.SHA256, Padding.PKCS1_V1_5, packaging,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), Map.of());
        SignatureContext c = new SignatureContext(p, pki.creator(DigestAlgorithm.SHA256, Padding.PKCS1_V1_5), Optional.ofNullable(tsa),
                Optional.empty());
        return format.sign(new Document("d", Content.of(data)), c).content().bytes();
    }

    /** A Bouncy Castle TSA under the test root, for signatures with a time-stamp token inside. */
    private static TimeStampSource tsa(TestPki pki) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair keys = g.generateKeyPair();
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(pki.root(),
                BigInteger.valueOf(7), Date.from(Instant.now().minus(Duration.ofDays(1))), Date.from(Instant.now().plus(Duration.ofDays(9))),
                new X500Name("CN=Test TSA"), keys.getPublic())
                .addExtension(Extension.extendedKeyUsage, true, new ExtendedKeyUsage(KeyPurposeId.id_kp_timeStamping))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(pki.rootKeys().getPrivate())));
        TimeStampTokenGenerator gen = new TimeStampTokenGenerator(
                new JcaSimpleSignerInfoGeneratorBuilder().build("SHA256withRSA", keys.getPrivate(), cert),
                new JcaDigestCalculatorProviderBuilder().build().get(
                        new org.bouncycastle.asn1.x509.AlgorithmIdentifier(org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha256)),
                new ASN1ObjectIdentifier("1.2.3.4"));
        gen.addCertificates(new JcaCertStore(List.of(cert)));
        return (digest, imprint) -> {
            try {
                var req = new TimeStampRequestGenerator();
                req.setCertReq(true);
                var token = gen.generate(req.generate(new ASN1ObjectIdentifier(digest.oid()), imprint), BigInteger.ONE, new Date());
                return new TimeStamp(token.getEncoded(), token.getTimeStampInfo().getGenTime().toInstant(), "test");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }
}
