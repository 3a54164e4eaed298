package org.sigillum.api;

import java.util.Locale;

/** RSA signature padding; ignored for EC keys. */
public enum Padding {
    PKCS1_V1_5, PSS;

    /** Accepts {@code PKCS1}, {@code PKCS1_V1_5}, {@code PKCS#1 v1.5}, {@code PSS}, {@code RSASSA-PSS}. */
    public static Padding parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "");
        if (s.startsWith("PKCS1")) {
            return PKCS1_V1_5;
        }
        if (s.equals("PSS") || s.equals("RSASSAPSS")) {
            return PSS;
        }
        throw new IllegalArgumentException("unknown padding '" + text + "' (use PKCS1 or PSS)");
    }
}
