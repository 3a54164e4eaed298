package org.sigillum.format.cades.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sigillum.api.Content;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Document;
import org.sigillum.api.FormatOutput;
import org.sigillum.api.Packaging;
import org.sigillum.api.Padding;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureContext;
import org.sigillum.api.SignatureLevel;
import org.sigillum.api.SignatureParameters;
import org.sigillum.api.SignatureVerdict;
import org.sigillum.api.SigningException;

/**
 * Signs with every key kind, digest and padding, then lets openssl decide (cms -verify against the
 * test root), checks our own reader agrees, and that one changed byte makes both reject it.
 */
class CadesFormatTest {

    private final CadesFormat format = new CadesFormat();
    private final byte[] data = random(100_000);

    @TempDir
    Path tmp;

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(42).nextBytes(b);
        return b;
    }

    private FormatOutput sign(TestPki pki, DigestAlgorithm d, Padding p, Packaging k, SignatureLevel level) throws SigningException {
        SignatureParameters params = new SignatureParameters("cades", level, d, p, k,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), Map.of());
        return format.sign(new Document("doc.bin", Content.of(data)),
                new SignatureContext(params, pki.creator(d, p), Optional.empty(), Optional.empty()));
    }

    @ParameterizedTest
    @CsvSource({ "RSA,SHA256,PKCS1_V1_5", "RSA,SHA384,PKCS1_V1_5", "RSA,SHA512,PSS", "RSA,SHA256,PSS", "EC,SHA256,PKCS1_V1_5",
            "EC,SHA384,PKCS1_V1_5" })
    void detachedSignatureIsAcceptedByOpensslAndRejectedWhenTampered(String key, DigestAlgorithm d, Padding p) throws Exception {
        TestPki pki = TestPki.create(key);
        FormatOutput out = sign(pki, d, p, Packaging.DETACHED, SignatureLevel.B_B);
        assertEquals("doc.bin.p7s", out.name());

        Path sig = Files.write(tmp.resolve("doc.bin.p7s"), out.content().bytes());
        Path doc = Files.write(tmp.resolve("doc.bin"), data);
        Path root = pki.writeRootPem(tmp);
        assertEquals(0, Openssl.cmsVerify(sig, doc, root), "openssl cms -verify must accept the signature");

        List<SignatureVerdict> v = format.verify(new Document("doc.bin.p7s", out.content()), Optional.of(Content.of(data)));
        assertEquals(1, v.size());
        assertTrue(v.get(0).intact(), () -> v.get(0).problem());
        assertEquals(Optional.of(SignatureLevel.B_B), v.get(0).level());
        assertEquals(pki.signer(), v.get(0).signer().orElseThrow());

        byte[] changed = data.clone();
        changed[12_345] ^= 1;
        Path bad = Files.write(tmp.resolve("changed.bin"), changed);
        assertTrue(Openssl.cmsVerify(sig, bad, root) != 0, "openssl must reject changed data");
        SignatureVerdict tampered = format.verify(new Document("doc.bin.p7s", out.content()), Optional.of(Content.of(changed))).get(0);
        assertFalse(tampered.intact());
        assertTrue(tampered.problem().contains("changed"), tampered.problem());
    }

    @Test
    void detachedSignatureFromTheCoresDigestNeverReadsTheDocument() throws Exception {
        TestPki pki = TestPki.create("RSA");
        SignatureParameters params = new SignatureParameters("cades", SignatureLevel.B_B, DigestAlgorithm.SHA384,
                Padding.PKCS1_V1_5, Packaging.DETACHED, Instant.now().truncatedTo(ChronoUnit.SECONDS), Map.of());
        Content unreadable = new Content() {
            @Override
            public java.io.InputStream openStream() throws java.io.IOException {
                throw new java.io.IOException("the format must not read a document the core has hashed");
            }

            @Override
            public long size() {
                return data.length;
            }

            @Override
            public Optional<byte[]> knownDigest(DigestAlgorithm algorithm) {
                try {
                    return algorithm == DigestAlgorithm.SHA384
                            ? Optional.of(java.security.MessageDigest.getInstance("SHA-384").digest(data)) : Optional.empty();
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        FormatOutput out = format.sign(new Document("doc.bin", unreadable), new SignatureContext(params,
                pki.creator(DigestAlgorithm.SHA384, Padding.PKCS1_V1_5), Optional.empty(), Optional.empty()));
        Path sig = Files.write(tmp.resolve("pre.p7s"), out.content().bytes());
        assertEquals(0, Openssl.cmsVerify(sig, Files.write(tmp.resolve("pre.bin"), data), pki.writeRootPem(tmp)));
        // Verifying with the known digest agrees with openssl, and a wrong known digest is caught.
        assertTrue(format.verify(new Document("pre.p7s", out.content()), Optional.of(unreadable)).get(0).intact());
        byte[] other = data.clone();
        other[7] ^= 1;
        Content lying = new Content() {
            @Override
            public java.io.InputStream openStream() {
                return new java.io.ByteArrayInputStream(other);
            }

            @Override
            public long size() {
                return other.length;
            }

            @Override
            public Optional<byte[]> knownDigest(DigestAlgorithm algorithm) {
                try {
                    return Optional.of(java.security.MessageDigest.getInstance(algorithm.jcaName()).digest(other));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        assertFalse(format.verify(new Document("pre.p7s", out.content()), Optional.of(lying)).get(0).intact());
    }

    @Test
    void envelopingSignatureCarriesTheDocument() throws Exception {
        TestPki pki = TestPki.create("RSA");
        FormatOutput out = sign(pki, DigestAlgorithm.SHA256, Padding.PKCS1_V1_5, Packaging.EMBEDDED, SignatureLevel.B_B);
        assertEquals("doc.bin.p7m", out.name());
        Path p7m = Files.write(tmp.resolve("doc.bin.p7m"), out.content().bytes());
        Path root = pki.writeRootPem(tmp);
        Path extracted = tmp.resolve("extracted");
        assertEquals(0, Openssl.cmsVerifyEnveloping(p7m, root, extracted));
        assertArrayEquals(data, Files.readAllBytes(extracted));
        assertTrue(format.verify(new Document("doc.bin.p7m", out.content()), Optional.empty()).get(0).intact());

        // One byte of the enclosed document changed inside the .p7m.
        byte[] bytes = out.content().bytes();
        int at = indexOf(bytes, java.util.Arrays.copyOfRange(data, 5000, 5032)) + 10;
        bytes[at] ^= 1;
        Path bad = Files.write(tmp.resolve("bad.p7m"), bytes);
        assertTrue(Openssl.cmsVerifyEnveloping(bad, root, tmp.resolve("x")) != 0);
        assertFalse(format.verify(new Document("bad.p7m", Content.of(bytes)), Optional.empty()).get(0).intact());
    }

    @Test
    void signedAttributesAreThoseOfCadesBaselineB() throws Exception {
        TestPki pki = TestPki.create("RSA");
        FormatOutput out = sign(pki, DigestAlgorithm.SHA256, Padding.PKCS1_V1_5, Packaging.DETACHED, SignatureLevel.B_B);
        var cms = new org.bouncycastle.cms.CMSSignedData(out.content().bytes());
        var si = cms.getSignerInfos().getSigners().iterator().next();
        var attrs = si.getSignedAttributes();
        assertTrue(attrs.get(org.bouncycastle.asn1.cms.CMSAttributes.contentType) != null);
        assertTrue(attrs.get(org.bouncycastle.asn1.cms.CMSAttributes.messageDigest) != null);
        assertTrue(attrs.get(org.bouncycastle.asn1.cms.CMSAttributes.signingTime) != null);
        assertTrue(attrs.get(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_aa_signingCertificateV2) != null);
        assertEquals(null, cms.getSignedContent(), "a detached signature holds no content");
    }

    @Test
    void levelTWithoutTimeStampAuthorityIsRetryable() throws Exception {
        TestPki pki = TestPki.create("RSA");
        SigningException e = assertThrows(SigningException.class,
                () -> sign(pki, DigestAlgorithm.SHA256, Padding.PKCS1_V1_5, Packaging.DETACHED, SignatureLevel.B_T));
        assertEquals(Reason.TSA_UNAVAILABLE, e.reason());
        assertTrue(e.retryable());
    }

    @Test
    void garbageIsBadInputNotACrash() {
        for (byte[] junk : List.of(new byte[] { 0x30, (byte) 0x84, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2 },
                "-----BEGIN PKCS7-----\n!!!\n-----END PKCS7-----\n".getBytes(), random(5000), new byte[] { 0x30, 0x00 })) {
            SigningException e = assertThrows(SigningException.class,
                    () -> format.verify(new Document("junk.p7s", Content.of(junk)), Optional.of(Content.of(data))));
            assertEquals(Reason.BAD_INPUT, e.reason(), e.getMessage());
        }
    }

    @Test
    void detachedSignatureWithoutDataSaysWhatIsMissing() throws Exception {
        TestPki pki = TestPki.create("RSA");
        FormatOutput out = sign(pki, DigestAlgorithm.SHA256, Padding.PKCS1_V1_5, Packaging.DETACHED, SignatureLevel.B_B);
        SigningException e = assertThrows(SigningException.class,
                () -> format.verify(new Document("doc.bin.p7s", out.content()), Optional.empty()));
        assertTrue(e.getMessage().contains("--data"), e.getMessage());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer: for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("content not found in the .p7m");
    }
}
