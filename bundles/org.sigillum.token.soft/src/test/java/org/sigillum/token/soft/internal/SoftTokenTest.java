package org.sigillum.token.soft.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.KeyAlgorithm;
import org.sigillum.api.Padding;
import org.sigillum.api.Pin;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureAlgorithm;
import org.sigillum.api.SigningException;
import org.sigillum.api.TokenState;

class SoftTokenTest {

    @TempDir
    Path tmp;

    private Path keystore(String keyalg) throws Exception {
        Path p12 = tmp.resolve(keyalg + ".p12");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-keystore", p12.toString(), "-storepass", "secret-pw", "-alias", "k", "-keyalg", keyalg, "-dname", "CN=Soft test");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed");
        return p12;
    }

    @Test
    void signaturesVerifyWithTheCertificateAndDigestSigningMatches() throws Exception {
        SoftToken t = new SoftToken("t", keystore("RSA"), "secret-pw".toCharArray());
        assertEquals(TokenState.AVAILABLE, t.status().state());
        byte[] data = "document".getBytes();
        for (Padding padding : Padding.values()) {
            SignatureAlgorithm alg = new SignatureAlgorithm(KeyAlgorithm.RSA, DigestAlgorithm.SHA256, padding);
            byte[] sig = t.sign(data, alg, null);
            Signature v = Signature.getInstance(alg.jcaName());
            if (alg.parameterSpec() != null) {
                v.setParameter(alg.parameterSpec());
            }
            v.initVerify(t.certificateChain().get(0).getPublicKey());
            v.update(data);
            assertTrue(v.verify(sig), padding.name());
        }
        // PKCS#1 v1.5 is deterministic: signing the digest must give the very same bytes.
        SignatureAlgorithm pkcs1 = new SignatureAlgorithm(KeyAlgorithm.RSA, DigestAlgorithm.SHA256, Padding.PKCS1_V1_5);
        assertArrayEquals(t.sign(data, pkcs1, null),
                t.signDigest(MessageDigest.getInstance("SHA-256").digest(data), pkcs1, null));
    }

    @Test
    void ecKeySignsAndRefusesAnRsaAlgorithm() throws Exception {
        SoftToken t = new SoftToken("t", keystore("EC"), "secret-pw".toCharArray());
        SignatureAlgorithm ec = new SignatureAlgorithm(KeyAlgorithm.EC, DigestAlgorithm.SHA384, null);
        byte[] digest = MessageDigest.getInstance("SHA-384").digest("x".getBytes());
        byte[] sig = t.signDigest(digest, ec, null);
        Signature v = Signature.getInstance("SHA384withECDSA");
        v.initVerify(t.certificateChain().get(0).getPublicKey());
        v.update("x".getBytes());
        assertTrue(v.verify(sig));
        SigningException e = assertThrows(SigningException.class,
                () -> t.sign("x".getBytes(), new SignatureAlgorithm(KeyAlgorithm.RSA, DigestAlgorithm.SHA256, Padding.PSS), null));
        assertEquals(Reason.BAD_REQUEST, e.reason());
    }

    @Test
    void wrongPasswordIsReportedAndNeverInTheMessage() throws Exception {
        Path p12 = keystore("RSA");
        SigningException e = assertThrows(SigningException.class, () -> new SoftToken("t", p12, "wrong-guess".toCharArray()));
        assertEquals(Reason.PIN_INCORRECT, e.reason());
        assertFalse(e.getMessage().contains("wrong-guess"));
        assertFalse(e.getMessage().contains("secret-pw"));
    }

    @Test
    void pinIsWipedAfterUse() throws Exception {
        SoftToken t = new SoftToken("t", keystore("RSA"), "secret-pw".toCharArray());
        Pin pin = Pin.of("1234".toCharArray());
        t.sign("x".getBytes(), new SignatureAlgorithm(KeyAlgorithm.RSA, DigestAlgorithm.SHA256, Padding.PKCS1_V1_5), pin);
        assertTrue(pin.isDestroyed());
        assertEquals("Pin[hidden]", pin.toString());
    }

    @Test
    void missingFileIsReportedAsUnavailable() {
        SigningException e = assertThrows(SigningException.class,
                () -> new SoftToken("t", tmp.resolve("nope.p12"), "x".toCharArray()));
        assertEquals(Reason.TOKEN_UNAVAILABLE, e.reason());
    }
}
