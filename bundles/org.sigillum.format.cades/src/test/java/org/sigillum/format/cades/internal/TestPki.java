package org.sigillum.format.cades.internal;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.sigillum.api.KeyAlgorithm;
import org.sigillum.api.Padding;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.SignatureAlgorithm;
import org.sigillum.api.SignatureCreator;

/** A root and signer made for one test run, and a creator signing with the signer's key through JCA. */
record TestPki(KeyPair rootKeys, X509Certificate root, KeyPair signerKeys, X509Certificate signer) {

    static TestPki create(String keyType) throws Exception {
        KeyPair rk = rsa();
        X500Name rn = new X500Name("CN=Test Root,O=Sigillum tests");
        Instant now = Instant.now();
        X509Certificate root = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(rn,
                BigInteger.ONE, Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), rn, rk.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(rk.getPrivate())));
        KeyPair sk = keyType.equals("EC") ? ec() : rsa();
        X509Certificate signer = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(root,
                BigInteger.TWO, Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))),
                new X500Name("CN=Test Signer,O=Sigillum tests"), sk.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(rk.getPrivate())));
        return new TestPki(rk, root, sk, signer);
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    SignatureCreator creator(DigestAlgorithm digest, Padding padding) {
        SignatureAlgorithm alg = new SignatureAlgorithm(KeyAlgorithm.of(signer.getPublicKey()), digest, padding);
        return new SignatureCreator() {
            @Override
            public List<X509Certificate> certificateChain() {
                return List.of(signer, root);
            }

            @Override
            public SignatureAlgorithm algorithm() {
                return alg;
            }

            @Override
            public byte[] sign(byte[] data) {
                try {
                    java.security.Signature s = java.security.Signature.getInstance(alg.jcaName());
                    if (alg.parameterSpec() != null) {
                        s.setParameter(alg.parameterSpec());
                    }
                    s.initSign(signerKeys.getPrivate());
                    s.update(data);
                    return s.sign();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    Path writeRootPem(Path dir) throws Exception {
        Path p = dir.resolve("root.pem");
        Files.writeString(p, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder().encodeToString(root.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        return p;
    }
}
