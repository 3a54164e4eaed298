package org.sigillum.archive.internal;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TimeStampTokenGenerator;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;
import org.sigillum.api.TimeStampSource;

/** An in-process RFC 3161 authority for unit tests and the benchmark; it can be told to fail. */
final class TestTsa implements TimeStampSource {
    private final KeyPair keys;
    final X509CertificateHolder certificate;
    final AtomicInteger calls = new AtomicInteger();
    volatile boolean failing;
    private final AtomicLong serial = new AtomicLong();

    TestTsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        keys = g.generateKeyPair();
        X500Name name = new X500Name("CN=Test TSA");
        long now = System.currentTimeMillis();
        certificate = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, new Date(now - 86_400_000L), new Date(now + 86_400_000L * 3650),
                name, keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.extendedKeyUsage, true, new ExtendedKeyUsage(KeyPurposeId.id_kp_timeStamping))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
    }

    @Override
    public TimeStamp timeStamp(DigestAlgorithm digest, byte[] imprint) throws SigningException {
        calls.incrementAndGet();
        if (failing) {
            throw new SigningException(Reason.TSA_UNAVAILABLE, "test TSA told to fail");
        }
        try {
            TimeStampTokenGenerator gen = new TimeStampTokenGenerator(new JcaSimpleSignerInfoGeneratorBuilder()
                    .build("SHA256withECDSA", keys.getPrivate(), new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(certificate)),
                    new JcaDigestCalculatorProviderBuilder().build().get(new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                            org.bouncycastle.asn1.oiw.OIWObjectIdentifiers.idSHA1)),
                    new ASN1ObjectIdentifier("1.2.3.4"));
            gen.addCertificates(new JcaCertStore(java.util.List.of(certificate)));
            org.bouncycastle.tsp.TimeStampRequestGenerator rg = new org.bouncycastle.tsp.TimeStampRequestGenerator();
            rg.setCertReq(true);
            org.bouncycastle.tsp.TimeStampRequest req = rg.generate(Evidence.algorithm(digest.jcaName()).getAlgorithm(), imprint);
            var token = gen.generate(req, BigInteger.valueOf(serial.incrementAndGet()), new Date());
            return new TimeStamp(token.getEncoded(), token.getTimeStampInfo().getGenTime().toInstant(), "test");
        } catch (Exception e) {
            throw new SigningException(Reason.TSA_UNAVAILABLE, "test TSA: " + e, e);
        }
    }
}
