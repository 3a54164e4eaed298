package org.sigillum.token.soft.internal;

import java.util.HexFormat;

import org.sigillum.api.DigestAlgorithm;

/** PKCS#1 v1.5 DigestInfo encoding (RFC 8017 §9.2 note 1), for signing a ready digest with NONEwithRSA. */
final class DigestInfo {
    private DigestInfo() {
    }

    static byte[] encode(DigestAlgorithm digest, byte[] hash) {
        String prefix = switch (digest) {
            case SHA256 -> "3031300d060960864801650304020105000420";
            case SHA384 -> "3041300d060960864801650304020205000430";
            case SHA512 -> "3051300d060960864801650304020305000440";
        };
        byte[] p = HexFormat.of().parseHex(prefix);
        byte[] out = new byte[p.length + hash.length];
        System.arraycopy(p, 0, out, 0, p.length);
        System.arraycopy(hash, 0, out, p.length, hash.length);
        return out;
    }
}
