package org.sigillum.core.tests;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** signer.p12 (RSA-2048 key, chain signer + root, alias "signer") and root.pem in a folder. */
final class TestPki {
    private TestPki() {
    }

    /** A root and a signer in PKCS#12, made for this run. */
    static void write(Path dir, String password) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair rk = g.generateKeyPair();
        KeyPair sk = g.generateKeyPair();
        Instant now = Instant.now();
        X500Name rn = new X500Name("CN=OSGi Test Root");
        X509Certificate root = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(rn, BigInteger.ONE,
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(10))), rn, rk.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(rk.getPrivate())));
        X509Certificate signer = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(root,
                BigInteger.TWO, Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(10))),
                new X500Name("CN=OSGi Test Signer"), sk.getPublic())
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(rk.getPrivate())));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("signer", sk.getPrivate(), password.toCharArray(), new java.security.cert.Certificate[] { signer, root });
        try (OutputStream out = Files.newOutputStream(dir.resolve("signer.p12"))) {
            ks.store(out, password.toCharArray());
        }
        Files.writeString(dir.resolve("root.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder().encodeToString(root.getEncoded()) + "\n-----END CERTIFICATE-----\n");
    }
}
