package org.sigillum.format.pades.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** The measurements the PDF placeholder is sized from. */
class PadesCmsTest {

    @Test
    void rsaSignaturesAreAsLongAsTheModulus() throws Exception {
        for (int bits : new int[] { 2048, 3072 }) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            assertEquals(bits / 8, PadesCms.maxSignatureLength(g.generateKeyPair().getPublic()));
        }
    }

    @Test
    void ecdsaSignaturesNeverExceedTheirDerMaximum() throws Exception {
        String[] curves = { "secp256r1", "secp384r1" };
        int[] max = { 72, 104 };
        for (int c = 0; c < curves.length; c++) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curves[c]));
            var kp = g.generateKeyPair();
            assertEquals(max[c], PadesCms.maxSignatureLength(kp.getPublic()));
            java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
            for (int i = 0; i < 200; i++) {
                s.initSign(kp.getPrivate());
                s.update(new byte[] { (byte) i });
                int len = s.sign().length;
                assertEquals(true, len <= max[c], curves[c] + " signature of " + len + " bytes");
            }
        }
    }

    @Test
    void aStandInTimeStampHasTheSizeAskedOrOneByteMore() throws Exception {
        for (int size = 2; size < 70_000; size += size < 300 ? 1 : 97) {
            int len = PadesCms.fakeStamp(size).toASN1Primitive().getEncoded().length;
            assertEquals(true, len == size || len == size + 1, "size " + size + " gave " + len);
        }
    }

    @Test
    void theDerObjectIsCutFromItsZeroPadding() {
        byte[] der = { 0x30, 0x03, 0x02, 0x01, 0x05 };
        byte[] padded = Arrays.copyOf(der, 40);
        assertArrayEquals(der, PdfVerifier.der(padded));
        assertNull(PdfVerifier.der(new byte[] { 0x30, (byte) 0x82, 0x10, 0x00, 0x00 }), "a length beyond the bytes");
        assertNull(PdfVerifier.der(new byte[] { 0x04, 0x00 }), "not a SEQUENCE");
    }
}
