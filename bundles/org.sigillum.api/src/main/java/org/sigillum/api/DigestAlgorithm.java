package org.sigillum.api;

import java.util.Locale;

/** Digests a request may choose; SHA-1 and MD5 are deliberately absent. */
public enum DigestAlgorithm {
    SHA256("SHA-256", "2.16.840.1.101.3.4.2.1", 32),
    SHA384("SHA-384", "2.16.840.1.101.3.4.2.2", 48),
    SHA512("SHA-512", "2.16.840.1.101.3.4.2.3", 64);

    private final String jcaName;
    private final String oid;
    private final int length;

    DigestAlgorithm(String jcaName, String oid, int length) {
        this.jcaName = jcaName;
        this.oid = oid;
        this.length = length;
    }

    public String jcaName() {
        return jcaName;
    }

    public String oid() {
        return oid;
    }

    public int length() {
        return length;
    }

    /**
     * The PKCS#1 v1.5 DigestInfo over a ready hash (RFC 8017 §9.2, note 1): what a token signs with
     * raw RSA (NONEwithRSA, CKM_RSA_PKCS) when the hash was computed outside it.
     */
    public byte[] digestInfo(byte[] hash) {
        if (hash.length != length) {
            throw new IllegalArgumentException("a " + jcaName + " hash has " + length + " bytes, not " + hash.length);
        }
        // SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING hash }: the OID's last byte is 1, 2 or 3.
        byte[] prefix = java.util.HexFormat.of().parseHex("30" + String.format("%02x", 17 + length)
                + "300d06096086480165030402" + "0" + oid.charAt(oid.length() - 1)
                + "050004" + String.format("%02x", length));
        byte[] out = java.util.Arrays.copyOf(prefix, prefix.length + length);
        System.arraycopy(hash, 0, out, prefix.length, length);
        return out;
    }

    /** Accepts {@code SHA-256}, {@code SHA256}, {@code sha256}. */
    public static DigestAlgorithm parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT).replace("-", "").replace("_", "");
        for (DigestAlgorithm d : values()) {
            if (d.name().equals(s)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown digest '" + text + "' (use SHA-256, SHA-384 or SHA-512)");
    }

    @Override
    public String toString() {
        return jcaName;
    }
}
