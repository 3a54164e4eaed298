package org.sigillum.token.pkcs11.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.sigillum.api.DigestAlgorithm;

class MechanismsTest {

    /** A card's raw r‖s, re-encoded, must verify as the DER signature every validator reads. */
    @Test
    void rawEcdsaBecomesDerThatJavaVerifies() throws Exception {
        for (String curve : new String[] { "secp256r1", "secp384r1" }) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            KeyPair kp = g.generateKeyPair();
            for (int i = 0; i < 50; i++) { // some r or s with a high bit or a leading zero
                byte[] data = ("document " + i).getBytes();
                Signature raw = Signature.getInstance("SHA256withECDSAinP1363Format");
                raw.initSign(kp.getPrivate());
                raw.update(data);
                byte[] der = Mechanisms.ecdsaToDer(raw.sign());
                Signature v = Signature.getInstance("SHA256withECDSA");
                v.initVerify(kp.getPublic());
                v.update(data);
                assertTrue(v.verify(der), curve + " #" + i);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Mechanisms.ecdsaToDer(new byte[63]));
    }

    /** Raw RSA over our DigestInfo must equal what the JDK's SHAxxxwithRSA produces (PKCS#1 v1.5 is deterministic). */
    @Test
    void digestInfoMatchesTheJdksEncoding() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair kp = g.generateKeyPair();
        byte[] data = "contract".getBytes();
        for (DigestAlgorithm d : DigestAlgorithm.values()) {
            Signature jdk = Signature.getInstance(d.name() + "withRSA");
            jdk.initSign(kp.getPrivate());
            jdk.update(data);
            Signature none = Signature.getInstance("NONEwithRSA");
            none.initSign(kp.getPrivate());
            none.update(d.digestInfo(MessageDigest.getInstance(d.jcaName()).digest(data)));
            assertArrayEquals(jdk.sign(), none.sign(), d.toString());
        }
    }

    @Test
    void durationsAsOperatorsWriteThem() {
        assertEquals(Duration.ofHours(8), Pkcs11Token.parseDuration("8h"));
        assertEquals(Duration.ofMinutes(30), Pkcs11Token.parseDuration(" 30m "));
        assertEquals(Duration.ofDays(1), Pkcs11Token.parseDuration("1d"));
        assertEquals(Duration.ofHours(8), Pkcs11Token.parseDuration("PT8H"));
        assertNull(Pkcs11Token.parseDuration(""));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pkcs11Token.parseDuration("soon")).getMessage().contains("soon"));
    }
}
