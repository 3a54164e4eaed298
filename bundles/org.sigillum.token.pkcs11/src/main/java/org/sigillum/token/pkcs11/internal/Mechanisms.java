package org.sigillum.token.pkcs11.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.*;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Arrays;

import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Padding;
import org.sigillum.api.SignatureAlgorithm;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.params.RSA_PKCS_PSS_PARAMS;

/**
 * The PKCS#11 mechanism for a signature over a hash computed here, and the input it takes. The hash
 * is always computed in the server: a large document never crosses the card's slow interface, and
 * the same path serves {@code signDigest}. Cards then need only the raw mechanisms (CKM_RSA_PKCS,
 * CKM_RSA_PKCS_PSS, CKM_ECDSA), which even SoftHSM2 offers for EC where it lacks CKM_ECDSA_SHA256.
 */
final class Mechanisms {
    private Mechanisms() {
    }

    record Operation(Mechanism mechanism, byte[] input) {
    }

    static Operation of(SignatureAlgorithm algorithm, byte[] hash) {
        DigestAlgorithm d = algorithm.digest();
        return switch (algorithm.key()) {
            case EC -> new Operation(new Mechanism(CKM_ECDSA), hash);
            case RSA -> algorithm.padding() == Padding.PSS
                    ? new Operation(new Mechanism(CKM_RSA_PKCS_PSS, new RSA_PKCS_PSS_PARAMS(hashMechanism(d), mgf(d), d.length())), hash)
                    : new Operation(new Mechanism(CKM_RSA_PKCS), d.digestInfo(hash));
        };
    }

    private static long hashMechanism(DigestAlgorithm d) {
        return switch (d) {
            case SHA256 -> CKM_SHA256;
            case SHA384 -> CKM_SHA384;
            case SHA512 -> CKM_SHA512;
        };
    }

    private static long mgf(DigestAlgorithm d) {
        return switch (d) {
            case SHA256 -> CKG_MGF1_SHA256;
            case SHA384 -> CKG_MGF1_SHA384;
            case SHA512 -> CKG_MGF1_SHA512;
        };
    }

    /** PKCS#11 returns ECDSA as r‖s; X.509, CMS and every validator want DER SEQUENCE { r, s }. */
    static byte[] ecdsaToDer(byte[] raw) {
        if (raw.length == 0 || raw.length % 2 != 0) {
            throw new IllegalArgumentException("an ECDSA signature from the token has odd length " + raw.length);
        }
        int n = raw.length / 2;
        byte[] r = new BigInteger(1, Arrays.copyOfRange(raw, 0, n)).toByteArray();
        byte[] s = new BigInteger(1, Arrays.copyOfRange(raw, n, raw.length)).toByteArray();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        integer(body, r);
        integer(body, s);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        length(out, body.size());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static void integer(ByteArrayOutputStream out, byte[] value) {
        out.write(0x02);
        length(out, value.length);
        out.writeBytes(value);
    }

    private static void length(ByteArrayOutputStream out, int len) {
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        }
    }
}
