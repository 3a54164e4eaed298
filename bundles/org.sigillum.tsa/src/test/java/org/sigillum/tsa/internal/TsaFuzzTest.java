package org.sigillum.tsa.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.ActivationMode;
import org.sigillum.api.Pin;
import org.sigillum.api.SignatureAlgorithm;
import org.sigillum.api.SigningToken;
import org.sigillum.api.TokenState;
import org.sigillum.api.TokenStatus;
import org.sigillum.fuzz.Fuzz;
import org.sigillum.fuzz.Mutator;

/**
 * Mutated RFC 3161 requests (with and without nonce, policy, certReq and extensions; SHA-256 to
 * SHA-512) into the engine: every one gets a DER TimeStampResp with a status, never an exception,
 * within a bounded time and allocation; the engine then still grants a good request.
 */
class TsaFuzzTest {

    @TempDir
    Path tmp;

    @Test
    void everyMutatedRequestGetsAnAnswerWithAStatus() throws Exception {
        TsaEngine engine = new TsaEngine(token(), "1.2.3.4.5", 1000, new SerialNumbers(tmp.resolve("serials")));
        TimeStampRequestGenerator plain = new TimeStampRequestGenerator();
        TimeStampRequestGenerator full = new TimeStampRequestGenerator();
        full.setCertReq(true);
        full.setReqPolicy(new ASN1ObjectIdentifier("1.2.3.4.5"));
        full.addExtension(new ASN1ObjectIdentifier("1.2.3.99"), false, new DEROctetString(new byte[8]));
        TimeStampRequest good = full.generate(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.1"), new byte[32], BigInteger.TEN);
        List<byte[]> samples = List.of(good.getEncoded(),
                plain.generate(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.3"), new byte[64]).getEncoded(),
                plain.generate(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.2"), new byte[48], BigInteger.valueOf(Long.MAX_VALUE))
                        .getEncoded());

        java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger();
        Fuzz.run("tsa-request", new Mutator(samples), Mutator.seed(4998), Mutator.count(5000),
                new Fuzz.Limits(Duration.ofSeconds(5), 16L << 20, Duration.ofSeconds(60)), input -> {
                    TimeStampResponse r = new TimeStampResponse(engine.respond(input));
                    int status = r.getStatus();
                    if (status != PKIStatus.GRANTED && status != PKIStatus.REJECTION) {
                        throw new AssertionError("status " + status);
                    }
                    if (status == PKIStatus.GRANTED) {
                        granted.incrementAndGet();
                    }
                }, t -> false);
        System.out.println("fuzz tsa-request: " + granted + " granted");

        TimeStampRequest stillGood = plain.generate(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.1"), new byte[32], BigInteger.ONE);
        TimeStampResponse ok = new TimeStampResponse(engine.respond(stillGood.getEncoded()));
        assertEquals(PKIStatus.GRANTED, ok.getStatus());
        ok.validate(stillGood);
        assertTrue(ok.getTimeStampToken() != null);
    }

    /** A software EC key behind the SigningToken interface: signing is not what is fuzzed here, and P-256 is fast. */
    private static SigningToken token() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = g.generateKeyPair();
        X500Name name = new X500Name("CN=Fuzz TSA");
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                Date.from(Instant.now().minusSeconds(3600)), Date.from(Instant.now().plusSeconds(86400)), name, keys.getPublic())
                .addExtension(Extension.extendedKeyUsage, true, new ExtendedKeyUsage(KeyPurposeId.id_kp_timeStamping))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        return new SoftTestToken(keys.getPrivate(), List.of(cert));
    }
}
