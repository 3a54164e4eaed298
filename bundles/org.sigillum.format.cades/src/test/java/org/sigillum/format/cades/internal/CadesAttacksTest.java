package org.sigillum.format.cades.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.cms.SignerIdentifier;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
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
import org.sigillum.api.FormatOutput;
import org.sigillum.api.Packaging;
import org.sigillum.api.Padding;
import org.sigillum.api.SignatureContext;
import org.sigillum.api.SignatureLevel;
import org.sigillum.api.SignatureParameters;
import org.sigillum.api.SignatureVerdict;
import org.sigillum.api.TimeStamp;
import org.sigillum.api.TimeStampSource;

/** Signatures that must not pass: a swapped signer certificate, other data, and level T done right. */
class CadesAttacksTest {

    private final CadesFormat format = new CadesFormat();
    private final byte[] data = "pay 100 to Alice".getBytes();

    private SignatureContext context(TestPki pki, SignatureLevel level, Packaging packaging, TimeStampSource tsa) {
        SignatureParameters p = new SignatureParameters("cades", level, DigestAlgorithm.SHA256, Padding.PKCS1_V1_5, packaging,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), Map.of());
        return new SignatureContext(p, pki.creator(DigestAlgorithm.SHA256, Padding.PKCS1_V1_5), Optional.ofNullable(tsa),
                Optional.empty());
    }

    @Test
    void anotherCertificateForTheSameKeyIsNotAcceptedAsTheSigner() throws Exception {
        TestPki pki = TestPki.create("RSA");
        FormatOutput out = format.sign(new Document("d", Content.of(data)), context(pki, SignatureLevel.B_B, Packaging.DETACHED, null));
        // Mallory gets a certificate for Alice's public key and claims her signature.
        X509Certificate mallory = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(pki.root(),
                BigInteger.valueOf(99), new Date(), Date.from(Instant.now().plus(Duration.ofDays(1))), new X500Name("CN=Mallory"),
                pki.signer().getPublicKey()).build(new JcaContentSignerBuilder("SHA256withRSA").build(pki.rootKeys().getPrivate())));
        X509CertificateHolder mh = new X509CertificateHolder(mallory.getEncoded());
        SignedData sd = SignedData.getInstance(ContentInfo.getInstance(out.content().bytes()).getContent());
        SignerInfo si = SignerInfo.getInstance(sd.getSignerInfos().getObjectAt(0));
        SignerInfo swapped = new SignerInfo(new SignerIdentifier(new IssuerAndSerialNumber(mh.toASN1Structure())),
                si.getDigestAlgorithm(), si.getAuthenticatedAttributes(), si.getDigestEncryptionAlgorithm(), si.getEncryptedDigest(),
                si.getUnauthenticatedAttributes());
        ASN1EncodableVector certs = new ASN1EncodableVector();
        certs.add(mh.toASN1Structure());
        SignedData forged = new SignedData(sd.getDigestAlgorithms(), sd.getEncapContentInfo(), new DERSet(certs), null,
                new DERSet(swapped));
        byte[] bytes = new ContentInfo(new ASN1ObjectIdentifier("1.2.840.113549.1.7.2"), forged).getEncoded("DER");

        SignatureVerdict v = format.verify(new Document("forged.p7s", Content.of(bytes)), Optional.of(Content.of(data))).get(0);
        assertFalse(v.intact(), "a signature whose signing-certificate attribute names someone else must not be intact");
        assertTrue(v.problem().contains("not bound"), v.problem());
    }

    @Test
    void anEnvelopingSignatureComparedWithOtherDataIsNotValid() throws Exception {
        TestPki pki = TestPki.create("RSA");
        FormatOutput out = format.sign(new Document("d", Content.of(data)), context(pki, SignatureLevel.B_B, Packaging.EMBEDDED, null));
        assertTrue(format.verify(new Document("d.p7m", out.content()), Optional.of(Content.of(data))).get(0).intact());
        SignatureVerdict v = format.verify(new Document("d.p7m", out.content()),
                Optional.of(Content.of("pay 1000000 to Mallory".getBytes()))).get(0);
        assertFalse(v.intact());
        assertTrue(v.problem().contains("other data"), v.problem());
    }

    @Test
    void aFileThatChangesWhileSignedEnvelopingIsRefused() throws Exception {
        TestPki pki = TestPki.create("RSA");
        // The core read "pay 100 to Alice" and hashed it; the file says something else now.
        Content changed = new Content() {
            @Override
            public java.io.InputStream openStream() {
                return new java.io.ByteArrayInputStream("pay 999 to Mallory".getBytes());
            }

            @Override
            public long size() {
                return 18;
            }

            @Override
            public Optional<byte[]> knownDigest(DigestAlgorithm algorithm) {
                try {
                    return Optional.of(java.security.MessageDigest.getInstance(algorithm.jcaName()).digest(data));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        org.sigillum.api.SigningException e = org.junit.jupiter.api.Assertions.assertThrows(org.sigillum.api.SigningException.class,
                () -> format.sign(new Document("d", changed), context(pki, SignatureLevel.B_B, Packaging.EMBEDDED, null)));
        assertEquals(org.sigillum.api.Reason.BAD_INPUT, e.reason());
        assertTrue(e.getMessage().contains("changed while it was being signed"), e.getMessage());
    }

    @Test
    void anEnvelopingSignatureOfAHugeFileIsRefusedBeforeTheKeyIsUsed() throws Exception {
        TestPki pki = TestPki.create("RSA");
        Content huge = new Content() {
            @Override
            public java.io.InputStream openStream() {
                throw new AssertionError("a refused document is not read");
            }

            @Override
            public long size() {
                return CadesFormat.MAX_ENVELOPING + 1;
            }
        };
        org.sigillum.api.SigningException e = org.junit.jupiter.api.Assertions.assertThrows(org.sigillum.api.SigningException.class,
                () -> format.sign(new Document("big.iso", huge), context(pki, SignatureLevel.B_B, Packaging.EMBEDDED, null)));
        assertEquals(org.sigillum.api.Reason.BAD_REQUEST, e.reason());
        assertTrue(e.getMessage().contains("sign it detached"), e.getMessage());
    }

    @Test
    void levelTCarriesAWellFormedTimeStampThatVerifies() throws Exception {
        TestPki pki = TestPki.create("RSA");
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair tsaKeys = g.generateKeyPair();
        X509Certificate tsaCert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(pki.root(),
                BigInteger.valueOf(7), Date.from(Instant.now().minus(Duration.ofDays(1))), Date.from(Instant.now().plus(Duration.ofDays(9))),
                new X500Name("CN=Test TSA"), tsaKeys.getPublic())
                .addExtension(Extension.extendedKeyUsage, true, new ExtendedKeyUsage(KeyPurposeId.id_kp_timeStamping))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(pki.rootKeys().getPrivate())));
        TimeStampTokenGenerator gen = new TimeStampTokenGenerator(new JcaSimpleSignerInfoGeneratorBuilder().build("SHA256withRSA",
                tsaKeys.getPrivate(), tsaCert), new JcaDigestCalculatorProviderBuilder().build().get(
                        new org.bouncycastle.asn1.x509.AlgorithmIdentifier(org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha256)),
                new ASN1ObjectIdentifier("1.2.3.4"));
        gen.addCertificates(new JcaCertStore(List.of(tsaCert)));
        TimeStampSource tsa = (digest, imprint) -> {
            try {
                var req = new TimeStampRequestGenerator();
                req.setCertReq(true);
                var token = gen.generate(req.generate(new ASN1ObjectIdentifier(digest.oid()), imprint), BigInteger.ONE, new Date());
                return new TimeStamp(token.getEncoded(), token.getTimeStampInfo().getGenTime().toInstant(), "test");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        FormatOutput out = format.sign(new Document("d", Content.of(data)), context(pki, SignatureLevel.B_T, Packaging.DETACHED, tsa));
        SignatureVerdict v = format.verify(new Document("d.p7s", out.content()), Optional.of(Content.of(data))).get(0);
        assertTrue(v.intact(), v.problem());
        assertEquals(Optional.of(SignatureLevel.B_T), v.level());
        assertEquals(tsaCert, v.timeStampChain().get(0));
        assertTrue(v.timeStampTime().isPresent());

        // The attribute holds exactly one TimeStampToken, not a set inside the set.
        var cms = new org.bouncycastle.cms.CMSSignedData(out.content().bytes());
        var attr = cms.getSignerInfos().getSigners().iterator().next().getUnsignedAttributes()
                .get(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_aa_signatureTimeStampToken);
        assertEquals(1, attr.getAttrValues().size());
        ContentInfo.getInstance(attr.getAttrValues().getObjectAt(0));
    }
}
